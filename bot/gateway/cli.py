"""`python -m bot agents add USERNAME [--role agent|supervisor] [--tier 1|2|3]
[--display-name X] [--max-chats N]` — the password is read from stdin (one line); for an
existing agent this is a password reset and ends all their sessions.
`python -m bot agents deactivate USERNAME` — no more logins; open sessions end."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from bot.config import load_settings
from bot.contract import AgentRole


def add_agent(
    username: str,
    password: str,
    role: str = "agent",
    tier: int = 1,
    display_name: str | None = None,
    max_chats: int | None = None,
    database_url: str | None = None,
) -> tuple[int, bool]:
    """Create or update an agent; returns (agent id, created)."""
    from bot.gateway.auth import hash_password, revoke_agent_tokens
    from bot.gateway.db import Database
    from bot.gateway.models import Agent

    db = Database(database_url or load_settings().database_url)
    db.init()
    try:
        with db.session() as session:
            agent = session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
            created = agent is None
            if agent is None:
                agent = Agent(username=username, display_name=display_name or username)
                session.add(agent)
            elif display_name:
                agent.display_name = display_name
            agent.password_hash = hash_password(password)
            if not created:
                revoke_agent_tokens(session, agent.id)  # a password reset ends every open session
            agent.role = role
            agent.tier = tier
            agent.active = True
            if max_chats is not None:
                agent.max_chats = max_chats
            session.flush()
            return agent.id, created
    finally:
        db.dispose()


def deactivate_agent(username: str, database_url: str | None = None) -> bool:
    """Stop an agent from logging in and end their sessions; False when there is no such agent."""
    from bot.gateway.auth import revoke_agent_tokens
    from bot.gateway.db import Database
    from bot.gateway.models import Agent

    db = Database(database_url or load_settings().database_url)
    db.init()
    try:
        with db.session() as session:
            agent = session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
            if agent is None:
                return False
            agent.active = False
            revoke_agent_tokens(session, agent.id)
            return True
    finally:
        db.dispose()


def _deactivate(args: argparse.Namespace) -> int:
    if not deactivate_agent(args.username.strip()):
        print(f"no agent {args.username!r}", file=sys.stderr)
        return 1
    print(f"deactivated {args.username}; their open sessions are ended")
    return 0


def _add(args: argparse.Namespace) -> int:
    username = args.username.strip()
    if not username or len(username) > 64:
        print("username must be 1-64 characters", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Password for {username}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password.strip():
        print("refusing an empty password (give it on stdin, one line)", file=sys.stderr)
        return 2
    if args.max_chats is not None and args.max_chats < 1:
        print("--max-chats must be at least 1", file=sys.stderr)
        return 2
    agent_id, created = add_agent(
        username, password, role=args.role, tier=args.tier, display_name=args.display_name, max_chats=args.max_chats
    )
    print(f"{'created' if created else 'updated'} {args.role} {username} (id {agent_id}, tier {args.tier})")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("agents", help="manage customer-service agents")
    sub = parser.add_subparsers(dest="agents_command", required=True)
    add = sub.add_parser("add", help="create or update an agent (password on stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=AgentRole.values(), default=AgentRole.AGENT.value)
    add.add_argument("--tier", type=int, choices=[1, 2, 3], default=1)
    add.add_argument("--display-name", dest="display_name")
    add.add_argument("--max-chats", dest="max_chats", type=int)
    add.set_defaults(handler=_add)
    deactivate = sub.add_parser("deactivate", help="stop an agent from logging in (ends their sessions)")
    deactivate.add_argument("username")
    deactivate.set_defaults(handler=_deactivate)
