"""nameko entrypoints of the identity service: parse, call a handler, return plain JSON."""

from __future__ import annotations

from ekinerja_kernel.mail import MailRelay
from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, handle_event

from . import handlers, oidc, oidc_flows
from .tables import OUTBOX, mail_queue

# `ekinerja.employee.#` takes employee.upserted / .deactivated and sync's diagnosis
# (employee.diagnosed): tests/unit/test_identity_findings.py checks the routing key reaches this queue.
MASTERDATA = event_queue("identity", "ekinerja.employee.#")


class IdentityService(ServiceBase):
    name = "identity"
    relay = OutboxRelay(OUTBOX)
    mail = MailRelay(mail_queue)
    request = RequestInfo()

    @handle_event(MASTERDATA)
    def on_masterdata(self, envelope: dict) -> None:
        handlers.on_masterdata_event(self.db, envelope)
        self.relay.notify()  # a deactivation ends sessions: announce it now, not at the next poll

    @rpc
    def jwks(self) -> dict:
        return handlers.jwks(self.db)

    @rpc
    def login(self, nip: str, password: str, device_name: str | None = None, device_token: str | None = None) -> dict:
        return handlers.login(self.db, self.request, nip, password, device_name, device_token)

    @rpc
    def verify_mfa(self, mfa_ticket: str, code: str | None = None, recovery_code: str | None = None,
                   trust_device: bool = False, device_name: str | None = None) -> dict:
        return handlers.verify_mfa(self.db, self.request, mfa_ticket, code, recovery_code, trust_device, device_name)

    # Each call that may end sessions wakes the relay, so gateways hear session.revoked at once.

    @rpc
    def refresh(self, refresh_token: str) -> dict:
        try:
            return handlers.refresh(self.db, self.request, refresh_token)
        finally:
            self.relay.notify()  # a reused token is refused after its session was ended

    @rpc
    def logout(self) -> dict:
        result = handlers.logout(self.db, self.request)
        self.relay.notify()
        return result

    @rpc
    def list_sessions(self) -> dict:
        return handlers.list_sessions(self.db, self.request)

    @rpc
    def revoke_session(self, session_id: str) -> dict:
        result = handlers.revoke_session(self.db, self.request, session_id)
        self.relay.notify()
        return result

    @rpc
    def revoked_sessions(self) -> dict:
        return handlers.revoked_sessions(self.db)

    @rpc
    def mfa_enroll(self, enrollment_ticket: str | None = None, code: str | None = None,
                   recovery_code: str | None = None) -> dict:
        return handlers.mfa_enroll(self.db, self.request, enrollment_ticket, code, recovery_code)

    @rpc
    def mfa_confirm(self, code: str, enrollment_ticket: str | None = None) -> dict:
        return handlers.mfa_confirm(self.db, self.request, code, enrollment_ticket)

    @rpc
    def admin_reset_mfa(self, nip: str) -> dict:
        return handlers.admin_reset_mfa(self.db, self.request, nip)

    @rpc
    def request_activation(self, nip: str, nik: str, email: str) -> dict:
        return handlers.request_activation(self.db, self.request, nip, nik, email, notify=self.mail.notify)

    @rpc
    def activate(self, token: str, password: str) -> dict:
        return handlers.activate(self.db, self.request, token, password)

    @rpc
    def request_password_reset(self, nip: str, email: str, nik: str | None = None) -> dict:
        return handlers.request_password_reset(self.db, self.request, nip, email, nik, notify=self.mail.notify)

    @rpc
    def reset_password(self, token: str, password: str) -> dict:
        result = handlers.reset_password(self.db, self.request, token, password)
        self.relay.notify()
        return result

    @rpc
    def change_password(self, current_password: str, new_password: str) -> dict:
        result = handlers.change_password(self.db, self.request, current_password, new_password)
        self.relay.notify()
        return result

    @rpc
    def whoami(self) -> dict:
        return handlers.whoami(self.db, self.request)

    @rpc
    def sign_in_state(self, nip: str | None = None) -> dict:
        return handlers.sign_in_state(self.db, self.request, nip)

    @rpc
    def audit_events(self, nip: str | None = None, type: str | None = None, limit: int = 100) -> dict:  # noqa: A002
        return handlers.audit_events(self.db, self.request, nip, type, limit)

    # -- OpenID Connect provider (docs/identity-rpc.md); the gateway runs the protocol ------------

    @rpc
    def oidc_client(self, client_id: str) -> dict | None:
        return oidc.client(self.db, client_id)

    @rpc
    def oidc_check_client_secret(self, client_id: str, secret: str) -> bool:
        return oidc.check_client_secret(self.db, client_id, secret)

    @rpc
    def oidc_nonce_used(self, client_id: str, nonce: str) -> bool:
        return oidc.nonce_used(self.db, client_id, nonce)

    # The HTML sign-in: each step verified here and kept in a flow bound to the browser; the gateway
    # never names the user (oidc_flows.py).

    @rpc
    def oidc_flow_start(self, browser: str, params: dict) -> dict:
        return oidc_flows.start(self.db, self.request, browser, params)

    @rpc
    def oidc_flow_get(self, flow: str, browser: str) -> dict:
        return oidc_flows.get(self.db, self.request, flow, browser)

    @rpc
    def oidc_flow_password(self, flow: str, browser: str, nip: str, password: str) -> dict:
        return oidc_flows.password(self.db, self.request, flow, browser, nip, password)

    @rpc
    def oidc_flow_mfa(self, flow: str, browser: str, code: str | None = None, recovery_code: str | None = None) -> dict:
        return oidc_flows.second_factor(self.db, self.request, flow, browser, code, recovery_code)

    @rpc
    def oidc_flow_consent(self, flow: str, browser: str, decision: str) -> dict:
        return oidc_flows.consent(self.db, self.request, flow, browser, decision)

    @rpc
    def oidc_flow_code(self, flow: str, browser: str, code: str) -> dict:
        return oidc_flows.issue_code(self.db, self.request, flow, browser, code)

    @rpc
    def oidc_take_code(self, code: str, client_id: str) -> dict | None:
        return oidc.take_code(self.db, self.request, code, client_id)

    @rpc
    def oidc_issue_tokens(self, client_id: str, code_id: str) -> dict:
        return oidc.issue_tokens(self.db, self.request, client_id, code_id)

    @rpc
    def oidc_userinfo(self, access_token: str) -> dict:
        return oidc.userinfo(self.db, access_token)

    @rpc
    def oidc_revoke(self, token: str, client_id: str) -> dict:
        return oidc.revoke(self.db, self.request, token, client_id)

    @rpc
    def oidc_register_client(self, name: str, redirect_uris: list[str], first_party: bool = False,
                             confidential: bool = False, scopes: str | None = None) -> dict:
        return oidc.register_client_as_admin(self.db, self.request, name, redirect_uris, first_party, confidential,
                                             scopes)
