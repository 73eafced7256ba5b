"""The identity service's tables: its read-copy of who may sign in, and all credentials."""

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

from ekinerja_kernel.inbox import define_inbox
from ekinerja_kernel.mail import define_mail_queue
from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()

# Read-copy of master data, kept from sync's events.
accounts = Table(
    "accounts", metadata,
    Column("nip", String(18), primary_key=True),
    Column("nik", String(16), nullable=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=True),
    Column("status", String(16), nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("unit_id", String(64), nullable=True),
    Column("position_id", String(64), nullable=True),
    Column("supervisor_nip", String(18), nullable=True, index=True),
    Column("extra_roles", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Read-copy of sync's diagnosis (ekinerja.employee.diagnosed.v1): each employee's latest problems
# and warnings, by checked_at. Sign-in refusals quote them, so they say what the diagnosis says.
master_data_findings = Table(
    "master_data_findings", metadata,
    Column("nip", String(18), primary_key=True),
    Column("agency_id", String(64), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("blocked", JSON, nullable=False),
    Column("findings", JSON, nullable=False),
)

credentials = Table(
    "credentials", metadata,
    Column("nip", String(18), primary_key=True),
    Column("password_hash", Text, nullable=True),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
    Column("activated_at", DateTime(timezone=True), nullable=True),
    Column("mfa_secret", String(64), nullable=True),
    Column("mfa_pending_secret", String(64), nullable=True),
    Column("mfa_confirmed_at", DateTime(timezone=True), nullable=True),
    Column("mfa_last_step", Integer, nullable=True),
)

recovery_codes = Table(
    "recovery_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# Failure counters per NIP and factor ("password" / "totp"); kept for unknown NIPs too.
guards = Table(
    "guards", metadata,
    Column("nip", String(64), primary_key=True),
    Column("factor", String(16), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

# Short-lived steps of a sign-in: "mfa" (password ok, code next) and "enroll" (MFA must be set up).
tickets = Table(
    "tickets", metadata,
    Column("ticket_hash", String(64), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("device_name", String(200), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("device_name", String(200), nullable=True),
    Column("user_agent", String(400), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("amr", JSON, nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # Indexed: the gateway's revocation feed asks for the sessions ended within an access token's life.
    Column("revoked_at", DateTime(timezone=True), nullable=True, index=True),
    Column("revoked_reason", String(64), nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(36), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

trusted_devices = Table(
    "trusted_devices", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Single-use links sent by email: "activation" and "reset".
mail_tokens = Table(
    "mail_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# Activation and reset requests per NIP and kind, counted in the database so every replica shares
# them: the recent request times (at most the limit), and the latest, by which stale rows are swept.
request_limits = Table(
    "request_limits", metadata,
    Column("nip", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("attempts", JSON, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False, index=True),
)

mail_queue = define_mail_queue(metadata)  # activation and reset mails, sent by the MailRelay

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_jwk", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

agency_policies = Table(
    "agency_policies", metadata,
    Column("agency_id", String(64), primary_key=True),
    Column("mfa_required", Boolean, nullable=False),
    Column("trusted_device_days", Integer, nullable=False),
)

audit_events = Table(
    "audit_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("nip", String(64), nullable=True, index=True),
    Column("actor_nip", String(18), nullable=True),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("ip", String(64), nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("detail", JSON, nullable=True),
)

inbox = define_inbox(metadata)
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "identity")

# --- OpenID Connect provider ("Login with ASN Digital") ---------------------------------------

# Applications registered to sign their users in with e-Kinerja. A public client (no secret) proves
# itself with PKCE only; redirect URIs are compared by exact string equality.
oauth_clients = Table(
    "oauth_clients", metadata,
    Column("client_id", String(64), primary_key=True),
    Column("client_secret_hash", String(64), nullable=True),
    Column("name", String(200), nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("first_party", Boolean, nullable=False),
    Column("allowed_scopes", String(400), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
)

# Authorization codes: single use, 60 seconds; kept after use so a replay can be recognised.
oauth_codes = Table(
    "oauth_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("nip", String(18), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", String(400), nullable=False),
    Column("nonce", String(255), nullable=True),
    Column("code_challenge", String(128), nullable=False),
    Column("code_challenge_method", String(8), nullable=False),
    Column("auth_time", Integer, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# What a user allowed a (not first-party) client to know about them.
oauth_consents = Table(
    "oauth_consents", metadata,
    Column("nip", String(18), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("scope", String(400), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

# Access tokens issued to clients (JWTs, known by their `jti`): revocable, and revoked together
# when the code they came from is replayed.
oauth_tokens = Table(
    "oauth_tokens", metadata,
    Column("jti", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, index=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("code_hash", String(64), nullable=True, index=True),
    Column("scope", String(400), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Sign-ins in progress on the HTML pages of /oauth/authorize (domain/oidc_flow.py): the authorization
# request, the step reached and what identity verified so far (who, how, when). The browser's cookie
# holds only a random binding; flow ids and bindings are kept as hashes. Rows go once expired.
oidc_flows = Table(
    "oidc_flows", metadata,
    Column("flow_hash", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("step", String(16), nullable=False),
    Column("nip", String(18), nullable=True),
    Column("amr", JSON, nullable=False),
    Column("auth_time", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
