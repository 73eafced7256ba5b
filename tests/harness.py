"""Test harness shared by the cross-service tests: running services in-process, and a subscriber
that does what another government system does."""

from __future__ import annotations

import copy
import email
import uuid
from email.message import Message
from pathlib import Path

from event_catalogue import validate_event
from kombu import Connection, Queue
from nameko.containers import ServiceContainer

from ekinerja_kernel.bus import internal_exchange

SERVICE_CLASSES = {
    "identity": "identity.service:IdentityService",
    "sync": "sync.service:SyncService",
    "skp": "skp.service:SkpService",
    "harian": "harian.service:HarianService",
    "tukin": "tukin.service:TukinService",
    "events": "events.service:EventsService",
}


def load_class(path: str):
    module, _, name = path.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


def nameko_config(amqp_uri: str) -> dict:
    return {"AMQP_URI": amqp_uri, "serializer": "json", "HEARTBEAT": 15, "max_workers": 10}


class Services:
    """The running containers; a test may stop one and start it again."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.containers: dict[str, ServiceContainer] = {}

    def start(self, name: str) -> ServiceContainer:
        container = ServiceContainer(load_class(SERVICE_CLASSES[name]), copy.deepcopy(self.config))
        container.start()
        self.containers[name] = container
        return container

    def stop(self, name: str) -> None:
        self.containers.pop(name).stop()

    def stop_all(self) -> None:
        for name in list(self.containers):
            self.stop(name)


class Subscriber:
    """Binds its own queue to the internal exchange (as a service does); durable queues survive a broker restart."""

    def __init__(self, amqp_uri: str, binding: str = "ekinerja.#", durable: bool = False,
                 name: str | None = None) -> None:
        self.connection = Connection(amqp_uri)
        self.name = name or f"test-subscriber-{uuid.uuid4().hex[:8]}"
        queue = Queue(self.name, exchange=internal_exchange(),
                      routing_key=binding, durable=durable, auto_delete=not durable)
        self.queue = self.connection.SimpleQueue(queue)

    def next(self, timeout: float = 15) -> dict:
        """The next event, checked against the public catalogue (docs/events) before a test sees it."""
        message = self.queue.get(block=True, timeout=timeout)
        message.ack()
        return validate_event(message.payload, routing_key=message.delivery_info.get("routing_key"))

    def close(self) -> None:
        self.queue.close()
        self.connection.release()


class Mailbox:
    """Reads what the SMTP server received."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def messages(self, to: str | None = None) -> list[Message]:
        found = [email.message_from_bytes(p.read_bytes()) for p in sorted(self.directory.glob("*.eml"))]
        return [m for m in found if to is None or to.lower() in m["To"].lower()]

    def token_in(self, message: Message) -> str:
        """The token our mails show on an indented line of its own."""
        body = message.get_payload(decode=True).decode()
        return next(line.strip() for line in body.splitlines() if line.startswith("    ") and line.strip())


class TokenMint:
    """Signs access tokens with a key of the test's own, for a gateway built with its JWKS_LOADER:
    routes can then be called as anyone without an identity service on the bus."""

    def __init__(self, issuer: str = "http://127.0.0.1:8000") -> None:
        from joserfc.jwk import RSAKey

        self.issuer = issuer
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-mint", "use": "sig", "alg": "RS256"},
                                       private=True)

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    def token(self, nip: str, roles: list[str], agency_id: str = "kemendemo", ttl: int = 600) -> str:
        import time

        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "ekinerja-api", "sub": nip, "iat": now, "exp": now + ttl,
                  "auth_time": now, "sid": uuid.uuid4().hex, "amr": ["pwd"], "roles": roles,
                  "agency_id": agency_id, "unit_id": None, "name": "Test"}
        return jwt.encode({"alg": "RS256", "kid": "test-mint"}, claims, self.key)


TOTP_STEP = 30  # identity's step (identity.domain.totp.STEP); it accepts the current step and the next
_last_steps: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """A valid TOTP code the server has not seen yet. Identity accepts a code of the current 30 s step
    or the next (the ±1 drift) and only for a step later than the last one it accepted (replay
    refusal), and several tests sign in as the same account within one step: so each code is for the
    step after the last one handed out, and when that one is still two steps ahead, this waits until
    the clock reaches the boundary where it becomes the next step (at most one step), then returns."""
    import time

    import pyotp

    last = _last_steps.get(secret)
    step = int(time.time() // TOTP_STEP)
    if last is not None and last >= step:
        step = last + 1
        opens = (step - 1) * TOTP_STEP  # from then on `step` is within the allowed drift
        while (wait := opens - time.time()) > 0:
            time.sleep(wait)  # synchronisation on the clock: the very moment the code becomes valid
    _last_steps[secret] = step
    return pyotp.TOTP(secret).at(step * TOTP_STEP)
