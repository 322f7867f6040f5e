"""The crisis policy: pure functions from a post and the active crises to a decision.

No I/O, no database, no clock: the scheduler hands in plain values and gets back a
Decision, which keeps judgement fast, testable and reusable.
"""
