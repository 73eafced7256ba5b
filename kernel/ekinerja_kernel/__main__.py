"""`python -m ekinerja_kernel migrate DIR...`: run each service's migrations to head.
`python -m ekinerja_kernel dead-letters list|declare|show|replay [QUEUE]`: what the consumers parked
(docs/runbooks/dead-letters.md); the broker is `AMQP_URI`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import config
from .deadletter import DeadLetterQueues, QueueMissing, consuming_queues, dead_queue


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ekinerja_kernel")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="run each service's migrations to head")
    migrate.add_argument("service_dirs", nargs="+", metavar="SERVICE_DIR")

    dead = sub.add_parser("dead-letters", help="inspect and replay the messages consumers parked")
    action = dead.add_subparsers(dest="action", required=True)
    listing = action.add_parser("list", help="how many messages wait in each dead-letter queue")
    listing.add_argument("queues", nargs="*", metavar="QUEUE",
                         help="queues to look at (default: the queues of every service's event handlers and "
                              "harian.submissions; events.log is on the public vhost: give its AMQP_URI)")
    declare = action.add_parser("declare", help="make the dead-letter queues exist before anything is parked "
                                                "(needed before a broker policy dead-letters into them)")
    declare.add_argument("queues", nargs="*", metavar="QUEUE", help="default: every consuming queue of the services")
    show = action.add_parser("show", help="the parked messages of QUEUE with the reason, oldest first; "
                                          "nothing is taken away")
    show.add_argument("queue", metavar="QUEUE", help="e.g. harian.submissions or harian.events")
    show.add_argument("--limit", type=int, default=20)
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    replay = action.add_parser("replay", help="put parked messages back on QUEUE, where they are tried again")
    replay.add_argument("queue", metavar="QUEUE")
    replay.add_argument("--id", dest="message_id", help="only the message with this id")
    replay.add_argument("--limit", type=int, help="at most this many")
    return parser


def _short(value: Any, width: int = 400) -> str:
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


def _dead_letters(args: argparse.Namespace) -> int:
    queues = DeadLetterQueues(config.amqp_uri())
    if args.action in ("list", "declare") and not args.queues:
        try:
            args.queues = consuming_queues()
        except LookupError as error:
            print(f"dead-letters {args.action}: {error}", file=sys.stderr)
            return 1
    if args.action == "list":
        print(f"{'DEAD-LETTER QUEUE':40} MESSAGES")
        for queue in args.queues:
            try:
                count: Any = queues.count(queue)
            except QueueMissing:
                count = 0  # nothing was ever parked there: the queue is made at the first one
            print(f"{dead_queue(queue).name:40} {count}")
        return 0
    if args.action == "declare":
        for queue in args.queues:
            print(f"declared {queues.declare(queue)}")
        return 0
    try:
        if args.action == "show":
            for i, parked in enumerate(queues.peek(args.queue, args.limit), 1):
                view = parked.view()
                if args.json:
                    print(json.dumps(view, ensure_ascii=True, default=str))
                    continue
                print(f"[{i}] {view['message_id']}  {view['type'] or ''}  subject {view['subject'] or '-'}")
                print(f"    from     {view['queue']} (service {view['service'] or '?'}), replayed {view['replays']}x")
                print(f"    error    {view['error_type']}: {view['error'] or ''}")
                print(f"    tries    {view['tries']}, first failed {view['first_failure'] or '?'}, "
                      f"last failed {view['last_failure'] or '?'}")
                print(f"    body     {_short(view['body'])}")
            return 0
        replayed = queues.replay(args.queue, args.message_id, args.limit)
    except QueueMissing as missing:
        print(f"no dead-letter queue {missing} on the broker (nothing was parked from {args.queue})",
              file=sys.stderr)
        return 1
    print(f"replayed {replayed} message(s) to {args.queue.removesuffix('.dead')}")
    return 0 if replayed or args.message_id is None else 1


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "migrate":
        from .migrations import upgrade

        for service_dir in args.service_dirs:
            upgrade(Path(service_dir))
            print(f"migrated {service_dir}")
        return 0
    return _dead_letters(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
