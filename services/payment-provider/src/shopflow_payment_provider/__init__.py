"""The payment provider simulator: a stand-in for an external PSP (like Stripe's test mode).

Test tokens decide each charge's outcome, every charge and refund is kept in its own
ledger and is idempotent per `Idempotency-Key`, and faults can be switched on at run time.
"""
