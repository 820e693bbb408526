"""`trustwatch watch add|list|remove` and `trustwatch alerts`."""
from __future__ import annotations

import json
from typing import List, Optional

import typer

from trustwatch.cli.app import app, fail, state

watch_app = typer.Typer(help="Follow parties and incident types: alerts by webhook, mail or Atom feed.",
                        no_args_is_help=True)
app.add_typer(watch_app, name="watch")


def _config_file():
    from trustwatch.cli.core import _config_file as find

    return find()


@watch_app.command("add")
def watch_add(
    name: str = typer.Argument(..., help="A short unique name, e.g. kuaishou-fines."),
    actor: Optional[List[str]] = typer.Option(None, "--actor", help="A party to follow (repeatable); "
                                              "matched by canonical id, so Kuaishou also matches 快手."),
    type_: Optional[List[str]] = typer.Option(None, "--type", help="Only these incident types (repeat or comma-separate)."),
    min_sources: int = typer.Option(1, "--min-sources", min=1, help="Alert once this many sources report it."),
    webhook: Optional[str] = typer.Option(None, "--webhook", help="http(s) URL to POST each alert to as JSON "
                                          "(Slack/Mattermost incoming webhooks work)."),
    email: Optional[str] = typer.Option(None, "--email", help="Mail each alert to this address ([alerts] smtp_host)."),
    feed: bool = typer.Option(False, "--feed", help="Add each alert to an Atom feed file ([alerts] feed_dir)."),
) -> None:
    """Add a watch to the configuration file."""
    from trustwatch.alerts.watchfile import add_watch
    from trustwatch.alerts.watches import mask_url
    from trustwatch.config import ConfigError

    path = _config_file()
    try:
        watch = add_watch(path, name, actors=actor or [], types=type_ or [], min_sources=min_sources,
                          webhook=webhook, email=email, feed=feed)
    except ConfigError as exc:
        fail(str(exc), code=2)
    except ValueError as exc:
        # a pydantic error would quote the input, webhook URL included: print its messages only
        errors = getattr(exc, "errors", None)
        if callable(errors):
            fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors()), code=2)
        fail(str(exc), code=2)
    where = ", ".join(filter(None, [mask_url(watch.webhook) if watch.webhook else None, watch.email,
                                    "Atom feed" if watch.feed else None]))
    typer.echo(f"added watch {watch.name} ({watch.describe()}) -> {where} to {path}")


@watch_app.command("list")
def watch_list() -> None:
    """Show the watches (webhook URLs masked: they may carry secrets)."""
    from rich.console import Console
    from rich.table import Table

    from trustwatch.alerts.watches import mask_url

    config = state.config()
    table = Table(title=f"watches ({config.path or 'built-in default'})")
    for col in ("name", "actors", "types", "min sources", "webhook", "email", "feed"):
        table.add_column(col, overflow="fold")
    for w in config.watches:
        table.add_row(w.name, ", ".join(w.actors) or "any", ", ".join(w.types) or "any", str(w.min_sources),
                      mask_url(w.webhook) if w.webhook else "", w.email or "", "yes" if w.feed else "")
    Console().print(table)
    if not config.watches:
        typer.echo("no watches yet: `trustwatch watch add NAME --actor Kuaishou --feed`", err=True)


@watch_app.command("remove")
def watch_remove(name: str = typer.Argument(..., help="The watch's name.")) -> None:
    """Remove a watch (alerts it has not delivered yet are cancelled by the next run)."""
    from trustwatch.alerts.watchfile import remove_watch
    from trustwatch.config import ConfigError

    path = _config_file()
    try:
        remove_watch(path, name)
    except KeyError:
        fail(f"no watch named {name!r} in {path}", code=2)
    except ConfigError as exc:
        fail(str(exc), code=2)
    typer.echo(f"removed watch {name} from {path}")


@app.command("alerts")
def alerts_command(
    limit: int = typer.Option(30, "--limit", "-n", min=1, help="How many recent alerts."),
    watch: Optional[str] = typer.Option(None, "--watch", help="Only this watch's alerts."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object a line."),
) -> None:
    """List recent alerts and the state of their delivery on each channel."""
    from trustwatch.cli.warehouse import _read_only
    from trustwatch.warehouse.alerts import recent_alerts

    con = _read_only()
    try:
        rows = recent_alerts(con, limit=limit, watch=watch)
    except Exception as exc:  # noqa: BLE001  e.g. a warehouse from before alerts existed
        fail(f"cannot read alerts: {exc}")
    finally:
        con.close()
    if json_out:
        for r in rows:
            typer.echo(json.dumps(r, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no alerts yet")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for col in ("created (UTC)", "watch", "why", "alert", "delivery"):
        table.add_column(col, overflow="fold")
    for r in rows:
        states = []
        for d in r["deliveries"] or []:
            text = f"{d['channel']}: {d['state']}"
            if d["state"] == "pending" and d["attempts"]:
                text += f" ({d['attempts']} attempts; {d['last_error']})"
            states.append(text)
        table.add_row(f"{r['created_at']:%Y-%m-%d %H:%M}", escape(r["watch"]), ", ".join(r["reasons"]),
                      escape(r["title"]), escape("\n".join(states)))
    Console(width=160).print(table)
