"""How many submissions one intake transaction takes: about HARIAN_TRANSACTION_SECONDS' worth."""

from harian.intake import TransactionSize


def test_the_first_transaction_is_small_then_it_follows_the_measured_rate():
    size = TransactionSize(0.5, 300)
    assert size.size == TransactionSize.FIRST

    size.took(20, 0.4)  # 20 ms each: 25 fit in half a second
    assert size.size == 25


def test_it_never_exceeds_the_batch_nor_falls_below_one():
    size = TransactionSize(0.5, 300)
    size.took(20, 0.001)
    assert size.size == 300
    slow = TransactionSize(0.5, 300)
    slow.took(1, 4.0)
    assert slow.size == 1


def test_one_slow_transaction_moves_the_size_only_part_of_the_way():
    size = TransactionSize(1.0, 1000)
    size.took(100, 1.0)  # 10 ms each
    assert size.size == 100
    size.took(100, 4.0)  # 40 ms this time: the average moves to 19 ms
    assert 50 <= size.size <= 60


def test_zero_seconds_means_one_transaction_per_batch():
    size = TransactionSize(0, 300)
    size.took(20, 0.4)
    assert size.size == 300
