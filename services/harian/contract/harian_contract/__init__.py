"""harian's wire contract: what a daily entry must look like, checked without any stored data.

harian owns it and applies it (with the rules that need its data: the approved SKP's RHK, the
agency's back-fill window) whenever it stores a day; the gateway applies the same functions before
it answers 202 to a submission, so a request that can never be stored is refused at once. It is a
library of its own (distribution ``ekinerja-harian-contract``) so that the gateway imports a
contract, never the harian service.
"""
