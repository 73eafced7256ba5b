"""The public event types, one small module per owner of the facts: each type names the internal
event it is made from and picks, field by field, what another system may have. A field added to an
internal event stays internal until a projection names it (docs/events/public describes each field)."""

from . import harian, masterdata, skp, tukin

ALL = (*masterdata.TYPES, *skp.TYPES, *harian.TYPES, *tukin.TYPES)
