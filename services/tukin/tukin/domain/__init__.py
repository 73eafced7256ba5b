"""Allowance (Tukin / TPP) rules in plain Python (docs/domain.md "Tukin / TPP"): the per-agency policy as
data (policy.py), one employee-month of facts from harian and skp events (facts.py), the monthly
computation explained line by line (compute.py) and the promotion hint (promotion.py).
No nameko, no SQL, no float: money is Decimal in whole rupiah."""
