"""What follows from a change: each consumer reads the timeline events the table's stream delivers.

Delivery is at least once, so every consumer is idempotent per event id: counters are added in one
transaction with a done mark, an e-mail is claimed before it is sent, a timer execution is named by
its hand-over and due time, and a webhook carries the event id as its ``webhook-id`` for the receiver to
drop repeats.
"""
