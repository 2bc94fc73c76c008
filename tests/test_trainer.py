from jaxgan.trainer import due


def test_due():
    assert due(10, 5, 100) and due(100, 30, 100)  # every 5; always at the last step
    assert not due(7, 5, 100) and not due(10, 0, 100)  # off the period; 0 disables
