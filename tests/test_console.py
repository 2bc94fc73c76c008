"""jaxgan.console: the XLA flags every command runs with."""

from jaxgan import console


def test_cpu_flags_are_added_to_empty_xla_flags():
    assert console.with_cpu_flags("") == (
        "--xla_cpu_use_xnnpack=true --xla_cpu_experimental_ynn_fusion_type=-individual_convolution"
    )


def test_a_users_own_flag_wins_and_others_are_kept():
    user = "--xla_force_host_platform_device_count=4 --xla_cpu_experimental_ynn_fusion_type="
    assert console.with_cpu_flags(user) == f"{user} --xla_cpu_use_xnnpack=true"
    assert console.with_cpu_flags("--xla_cpu_use_xnnpack=false").split() == [
        "--xla_cpu_use_xnnpack=false", "--xla_cpu_experimental_ynn_fusion_type=-individual_convolution",
    ]
