"""The `lakelens` command: sql, recipes, shell, serve, user, demo, config, cp, s3-server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _conf_pairs(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise SystemExit(f"--conf expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _session(args):
    import lakelens

    conf = _conf_pairs(args.conf)
    if getattr(args, "workspace", None):
        conf["session.workspace"] = args.workspace
    return lakelens.connect(home=args.home, conf=conf)


def _print_error(e: Exception) -> None:
    print(f"Error: {e}", file=sys.stderr)


def cmd_sql(args) -> int:
    from lakelens.catalog import LakelensError

    from lakelens.engine.cli.output import render

    if args.file:
        text = Path(args.file).read_text()
    elif args.statement:
        text = args.statement
    else:
        text = sys.stdin.read()
    session = _session(args)
    try:
        for result in session.run_script(text):
            if args.format == "table" or result.table.num_columns:
                print(render(result.table, args.format))
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_recipes(args) -> int:
    """`lakelens recipes [list|show|run] [NAME] [--set k=v]`: the ready-made SQL pipelines."""
    from lakelens.catalog import LakelensError
    from lakelens.engine.cli.output import render
    from lakelens.engine.recipes import recipe, recipes

    try:
        if args.action == "list" or args.name is None:
            if args.action != "list":
                print(f"Error: recipes {args.action} needs a recipe name", file=sys.stderr)
                return 2
            for r in recipes().values():
                print(f"{r.name}\n    {r.description}")
                for p in r.params:
                    print(f"    {p.name + ' = ' + p.default:<40} {p.doc}")
            return 0
        chosen = recipe(args.name)
        values = _conf_pairs(args.set)
        if args.action == "show":
            print(chosen.dbt_model(values) if args.dbt else chosen.render(values) + ";")
            return 0
        sql = chosen.render(values)
        session = _session(args)
        for result in session.run_script(sql):
            if result.table.num_columns:
                print(render(result.table, "table"))
        target = values.get("target") or next((p.default for p in chosen.params if p.name == "target"), None)
        if target:
            print(render(session.sql(f"SELECT count(*) AS rows FROM {target}"), "table"))
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_shell(args) -> int:
    from lakelens.engine.cli.shell import run_shell

    if args.connect:
        from lakelens.catalog import LakelensError

        from lakelens.engine.cli.remote import RemoteSession
        from lakelens.engine.config import Config

        password = _password(args, "--connect")
        if args.connect.startswith(("grpc://", "grpc+tcp://", "grpc+tls://")):
            from lakelens.engine.flight.client import FlightSqlSession

            try:
                session = FlightSqlSession(args.connect, args.user, password, ca_cert=args.ca_cert,
                                           http_port=args.http_port or None,
                                           config=Config.load(args.home, _conf_pairs(args.conf)))
            except LakelensError as e:
                _print_error(e)
                return 1
            return run_shell(session)
        try:
            session = RemoteSession(args.connect, Config.load(args.home, _conf_pairs(args.conf)), args.user,
                                    password, http_port=args.http_port or None, use_ssl=args.ssl,
                                    ca_cert=args.ca_cert, workspace=args.workspace)
        except LakelensError as e:
            _print_error(e)
            return 1
        return run_shell(session)
    return run_shell(_session(args))


def _password(args, what: str) -> str | None:
    """A client's password: --password-stdin (one line; a prompt on a terminal), else
    $LAKELENS_PASSWORD, else --password (visible to other users of this machine: warned)."""
    import getpass
    import os

    if getattr(args, "password_stdin", False):
        if sys.stdin.isatty():
            return getpass.getpass(f"password for {what}: ")
        return sys.stdin.readline().rstrip("\r\n")
    if getattr(args, "password", None) is not None:
        print("lakelens: warning: --password on the command line is visible to other users of this machine "
              "(ps, shell history); prefer --password-stdin or LAKELENS_PASSWORD", file=sys.stderr)
        return args.password
    return os.environ.get("LAKELENS_PASSWORD")


def cmd_demo(args) -> int:
    from lakelens.engine.cli.demo import build_demo

    session = _session(args)
    build_demo(session, force=args.force, log=print)
    from lakelens.engine.cli.demo import TRY_QUERIES

    print("try, e.g.:")
    command = _this_command() + (f" --home {args.home}" if args.home else "")
    for query in TRY_QUERIES:
        print(f'  {command} sql "{query}"')
    return 0


def _this_command() -> str:
    """How to call this `lakelens` from the user's shell: the bare name when PATH finds this
    one, else its path (after `make run` it lives in the project's .venv/bin)."""
    import shutil

    here = (Path(sys.executable).parent / "lakelens").resolve()
    found = shutil.which("lakelens")
    if found and Path(found).resolve() == here:
        return "lakelens"
    try:
        relative = here.relative_to(Path.cwd())
        return f"./{relative}" if not str(relative).startswith(".") else str(relative)
    except ValueError:
        return str(here)


def cmd_config(args) -> int:
    from tabulate import tabulate

    from lakelens.engine.config import Config

    cfg = Config.load(args.home, _conf_pairs(args.conf))
    # describe() hides secrets: passwords in URLs and the values of secret-looking keys.
    print(tabulate(cfg.describe(), headers=["key", "value", "source"], tablefmt="psql"))
    return 0


def _cp_remote(args) -> int:
    """`lakelens cp --server URL`: through the gateway's Files API, from/to this machine."""
    from lakelens.catalog import LakelensError, is_volume_path

    from lakelens.engine.cli.remote import FilesClient
    from lakelens.engine.config import Config

    src, dst = args.source, args.dest
    if is_volume_path(src) == is_volume_path(dst):
        raise SystemExit("lakelens cp: exactly one of SOURCE and DEST must be a /Volumes/... path")
    user = args.user or Config.load(args.home, _conf_pairs(args.conf)).user
    password = _password(args, args.server)
    try:
        client = FilesClient(args.server, user, password, args.ca_cert)
        if is_volume_path(dst):
            written = client.put(src, dst, overwrite=args.overwrite, recursive=args.recursive)
        else:
            written = client.get(src, dst, overwrite=args.overwrite, recursive=args.recursive)
        for p in written:
            print(p, flush=True)
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_cp(args) -> int:
    from lakelens.catalog import LakelensError, is_volume_path

    if args.server:
        return _cp_remote(args)
    if args.user or args.password_stdin or args.ca_cert:
        raise SystemExit("lakelens cp: --user, --password-stdin and --ca-cert go with --server")
    session = _session(args)
    src, dst = args.source, args.dest
    try:
        if is_volume_path(dst) and not is_volume_path(src):
            files, rel = session.catalog.open_volume(dst, by=session.principal.name)
            if Path(src).is_dir() and not args.recursive:
                raise SystemExit(f"lakelens cp: {src} is a directory (use -r)")
            rel += "/" if dst.endswith("/") and rel else ""
            for p in files.put(src, rel, overwrite=args.overwrite):
                print(p)
        elif is_volume_path(src) and not is_volume_path(dst):
            files, rel = session.catalog.open_volume(src)
            for p in files.get(rel, dst, overwrite=args.overwrite):
                print(p)
        else:
            raise SystemExit("lakelens cp: exactly one of SOURCE and DEST must be a /Volumes/... path")
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_serve(args) -> int:
    import logging
    import signal

    from lakelens.engine.config import Config
    from lakelens.engine.gateway import GatewayServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = Config.load(args.home, _conf_pairs(args.conf))
    if bool(args.ssl_cert) != bool(args.ssl_key):
        raise SystemExit("lakelens serve: --ssl-cert and --ssl-key go together")
    for warning in serve_safety(args):
        print(f"lakelens serve: warning: {warning}", file=sys.stderr, flush=True)
    from lakelens.catalog import LakelensError

    try:
        server = GatewayServer(cfg, host=args.host, port=args.port,
                               http_port=None if args.no_http else args.http_port, auth=args.auth,
                               ssl_cert=args.ssl_cert, ssl_key=args.ssl_key, http_path=args.http_path,
                               flight_port=None if args.no_flight else args.flight_port,
                               console_port=None if args.no_console else args.console_port)
    except LakelensError as e:  # e.g. --auth plain with no administrator yet
        print(f"lakelens serve: {e}", file=sys.stderr, flush=True)
        return 2

    def stop(signum, _frame):
        server.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    print(connection_help(server), flush=True)
    server.wait()
    return 0


def serve_safety(args) -> list[str]:
    """Refuse (SystemExit) an anonymous server on a non-loopback address unless
    --allow-anonymous; the warnings to print for a risky but allowed setup."""
    if _is_loopback(args.host):
        return []
    if args.auth in ("none", "nosasl") and not args.allow_anonymous:
        raise SystemExit(f"lakelens serve: --auth {args.auth} on {args.host} lets in anyone who can reach it, as "
                         f"any user they name, with the server's files (Files API) open to them. Use --auth plain "
                         f"(with --ssl-cert/--ssl-key), or add --allow-anonymous if that is what you want.")
    if args.auth == "plain" and not args.ssl_cert:
        return [f"--auth plain without TLS on {args.host}: passwords travel in clear (give --ssl-cert and --ssl-key)"]
    if args.auth in ("none", "nosasl"):
        return [f"--auth {args.auth} on {args.host} (--allow-anonymous): anyone who can reach it gets in"]
    return []


def _is_loopback(host: str) -> bool:
    import ipaddress
    import socket

    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:  # a host name: loopback only when every address it has is
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def connection_help(server) -> str:
    host, port, http = server.host, server.port, server.http_port
    ssl = ";ssl=true" if server.tls else ""
    auth = {"nosasl": ";auth=noSasl", "none": "", "plain": ""}[server.auth]
    # A password on a command line is visible to other users (ps): beeline reads it from a file.
    user = "-n $USER" + (" -w <password file>" if server.auth == "plain" else "")
    pyhive_auth = {"nosasl": "NOSASL", "none": "NONE", "plain": "LDAP"}[server.auth]
    lines = [
        f"lakelens gateway ready (auth {server.auth}{', TLS' if server.tls else ''}). Connect with:",
        f"  beeline     {_beeline()} -u 'jdbc:hive2://{host}:{port}/media{auth}{ssl}?catalog=demo' {user}",
        f"  JDBC        jdbc:hive2://{host}:{port}/default{auth}{ssl}",
    ]
    if http:
        lines.append(f"  JDBC/HTTP   jdbc:hive2://{host}:{http}/default;transportMode=http;httpPath=cliservice{ssl}")
    lines += [
        f"  PyHive      hive.connect('{host}', {port}, username='me', auth='{pyhive_auth}'"
        + (", password='…')" if server.auth == "plain" else ")"),
        f"  SQLAlchemy  create_engine('hive://me@{host}:{port}/default'"
        + (", connect_args={'auth': 'NOSASL'})" if server.auth == "nosasl" else ")"),
        f"  dbt         type: spark, method: thrift, host: {host}, port: {port}, schema: <schema>"
        + (", auth: NOSASL" if server.auth == "nosasl" else ""),
        f"  lakelens    lakelens shell --connect {host}:{port}"
        + (f" --http-port {http}" if http and http != 10001 else "")
        + (" --user me --password-stdin" if server.auth == "plain" else "") + (" --ssl" if server.tls else ""),
    ]
    flight = getattr(server, "flight_port", None)
    if flight:
        grpc = f"grpc+tls://{host}:{flight}" if server.tls else f"grpc://{host}:{flight}"
        creds = ", db_kwargs={'username': 'me', 'password': '…'}" if server.auth == "plain" else ""
        lines += [
            f"  Flight SQL  adbc_driver_flightsql.dbapi.connect('{grpc}'{creds})   (Arrow results; also "
            f"lakelens.connect('{grpc}'))",
            f"  Flight JDBC jdbc:arrow-flight-sql://{host}:{flight}?useEncryption={'true' if server.tls else 'false'}"
            + ("&user=me&password=…" if server.auth == "plain" else ""),
        ]
    if http:
        scheme = "https" if server.tls else "http"
        creds = " -u me" if server.auth == "plain" else ""
        lines += [
            f"  files       lakelens cp --server {scheme}://{host}:{http}"
            + (" --user me --password-stdin" if server.auth == "plain" else "") + " FILE /Volumes/<c>/<s>/<v>/",
            f"              curl{creds} -T FILE {scheme}://{host}:{http}/api/2.0/fs/files/Volumes/<c>/<s>/<v>/FILE",
        ]
    console = getattr(server, "console_url", None)
    if console:
        lines.append(f"  web console {console}   (sign in as any user name" +
                     (" with the user's password)" if server.auth == "plain" else ")"))
    lines += [
        "Ctrl-C stops the server.",
    ]
    return "\n".join(lines)


def _beeline() -> str:
    """beeline ships inside the pyspark package."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    return str(Path(spec.origin).parent / "bin" / "beeline") if spec and spec.origin else "beeline"


def _catalog(args):
    """The catalog of this home (users and groups are managed on the server's machine)."""
    from lakelens.engine.config import Config
    from lakelens.engine.session import catalog_for

    return catalog_for(Config.load(args.home, _conf_pairs(args.conf)))


def cmd_user(args) -> int:
    from lakelens.catalog import LakelensError

    catalog = _catalog(args)
    if args.action != "list" and not args.name:
        raise SystemExit(f"lakelens user {args.action}: give a user name")
    try:
        if args.action == "list":
            for name, admin, has_password, _ in catalog.user_rows():
                flags = [f for f, on in (("admin", admin), ("no password", not has_password)) if on]
                print(name + (f" ({', '.join(flags)})" if flags else ""))
        elif args.action == "remove":
            catalog.drop_user(args.name)
            print(f"user {args.name.lower()} removed")
        elif args.action == "add":
            catalog.create_user(args.name, _new_password(args), admin=args.admin)
            print(f"user {args.name.lower()} added" + (" (admin)" if args.admin else ""))
        else:  # passwd
            if args.name.lower() not in catalog.list_users():
                raise SystemExit(f"lakelens user passwd: no user {args.name.lower()}")
            catalog.set_user(args.name, _new_password(args), admin=True if args.admin else None)
            print(f"user {args.name.lower()} saved")
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def _new_password(args) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("lakelens user: the passwords differ")
    return first


def cmd_group(args) -> int:
    from lakelens.catalog import LakelensError

    catalog = _catalog(args)
    try:
        if args.action == "list":
            for name, members in catalog.group_rows():
                print(f"{name}: {', '.join(members)}")
            return 0
        if not args.name:
            raise SystemExit(f"lakelens group {args.action}: give a group name")
        if args.action == "add":
            catalog.create_group(args.name)
        elif args.action == "remove":
            catalog.drop_group(args.name)
        else:
            if not args.members:
                raise SystemExit(f"lakelens group {args.action}: name the users")
            if args.action == "add-member":
                catalog.alter_group(args.name, add=args.members)
            else:
                catalog.alter_group(args.name, drop=args.members)
        print(f"group {args.name.lower()}: {args.action} done")
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_s3_server(args) -> int:
    """Run a local S3-compatible server (engine/devstore.py) until interrupted; with
    `--configure`, point this home's warehouse at it first."""
    import secrets
    import signal

    from lakelens.engine.config import Config
    from lakelens.engine.devstore import S3Server

    cfg = Config.load(args.home, _conf_pairs(args.conf))
    data = Path(args.dir).expanduser() if args.dir else cfg.home / "s3-data"
    data.mkdir(parents=True, exist_ok=True)
    secret_file = data.parent / f".{data.name}.secret"  # outside the served directory
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(16))
        secret_file.chmod(0o600)
    try:
        server = S3Server(data, port=args.port, secret_key=secret_file.read_text().strip()).start()
    except (FileNotFoundError, RuntimeError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    try:
        if not (data / args.bucket).is_dir():
            server.create_bucket(args.bucket)
        if args.configure:
            toml = cfg.home / "lakelens.toml"
            old = toml.read_text() if toml.exists() else ""
            if "fs.s3a.endpoint" in old or "[warehouse]" in old:
                print(f"{toml} already configures storage; left as it is", file=sys.stderr)
            else:
                conf = "".join(f'"{k}" = "{v}"\n' for k, v in server.s3a_conf(prefix="hadoop.").items())
                block = f'[warehouse]\npath = "s3://{args.bucket}/warehouse"\n'
                if "[spark]" in old:  # one [spark] table per TOML file: add the keys to it
                    old = old.replace("[spark]\n", "[spark]\n" + conf, 1)
                    conf = ""
                toml.write_text(block + old + (f"\n[spark]\n{conf}" if conf else ""))
                toml.chmod(0o600)  # it holds the secret key
                print(f"configured {toml}: warehouse s3://{args.bucket}/warehouse on {server.endpoint}")
        print(f"S3 server (Versity Gateway) on {server.endpoint}, bucket s3://{args.bucket}, objects in {data}")
        print("ready", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        server.process.wait()
        return server.process.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakelens", description="SQL-first lakehouse for multimodal data")
    parser.add_argument("--home", default=None, help="lakehouse home (default $LAKELENS_HOME or ~/.lakelens)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="override a configuration key (repeatable); spark.* keys go to Spark")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sql", help="run SQL statements")
    p.add_argument("statement", nargs="?", help="SQL text (several statements separated by ;)")
    p.add_argument("-f", "--file", help="read SQL from a script file")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--workspace", help="run in this workspace (sees only what is bound to it)")
    p.set_defaults(fn=cmd_sql)

    p = sub.add_parser("recipes", help="ready-made SQL pipelines: list, show (filled in, or as a dbt model), run")
    p.add_argument("action", nargs="?", choices=["list", "show", "run"], default="list")
    p.add_argument("name", nargs="?", help="recipe name (see `lakelens recipes`)")
    p.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", help="a recipe parameter (repeatable)")
    p.add_argument("--dbt", action="store_true", help="show: print the recipe as a dbt model (its SELECT)")
    p.add_argument("--workspace", help="run in this workspace")
    p.set_defaults(fn=cmd_recipes)

    p = sub.add_parser("shell", help="interactive SQL shell")
    p.add_argument("--connect", metavar="HOST:PORT",
                   help="be a client of a running `lakelens serve`: HOST:PORT over HiveServer2, or "
                        "grpc://HOST:PORT over Arrow Flight SQL")
    p.add_argument("--user", default=None, help="user name for --connect")
    p.add_argument("--password", default=None,
                   help="password for --connect (visible to other users: prefer --password-stdin or "
                        "$LAKELENS_PASSWORD)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password for --connect from the first line of stdin (a prompt on a terminal)")
    p.add_argument("--http-port", type=int, default=10001,
                   help="the server's HTTP port, where PUT/GET move this machine's files (Files API; 0: off)")
    p.add_argument("--ssl", action="store_true", help="TLS to the server (binary and HTTP ports)")
    p.add_argument("--ca-cert", metavar="PEM", help="trust this CA certificate (implies --ssl)")
    p.add_argument("--workspace", help="open the session in this workspace (sees only what is bound to it)")
    p.set_defaults(fn=cmd_shell)

    p = sub.add_parser("serve", help="run the HiveServer2-compatible gateway (beeline, JDBC, PyHive, dbt)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=10000, help="binary Thrift port (0: any free port)")
    p.add_argument("--http-port", type=int, default=10001, help="Thrift-over-HTTP port (0: any free port)")
    p.add_argument("--no-http", action="store_true", help="do not open the HTTP transport")
    p.add_argument("--http-path", default="cliservice")
    p.add_argument("--flight-port", type=int, default=32010,
                   help="Arrow Flight SQL port (ADBC, the Flight SQL JDBC driver; 0: any free port)")
    p.add_argument("--no-flight", action="store_true", help="do not open the Arrow Flight SQL port")
    p.add_argument("--console-port", type=int, default=10002,
                   help="web console port (HTTP, or HTTPS with --ssl-cert; 0: any free port)")
    p.add_argument("--no-console", action="store_true", help="do not serve the web console")
    p.add_argument("--auth", choices=["nosasl", "none", "plain"], default="none",
                   help="none: any user (HiveServer2's default); plain: catalog users with passwords")
    p.add_argument("--ssl-cert", help="PEM certificate: TLS on both transports")
    p.add_argument("--ssl-key", help="PEM private key for --ssl-cert")
    p.add_argument("--allow-anonymous", action="store_true",
                   help="allow --auth none/nosasl on a non-loopback --host (anyone reaching it gets in)")
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("user", help="manage users (who sign in to `serve --auth plain`, and get grants)")
    p.add_argument("action", choices=["add", "passwd", "list", "remove"])
    p.add_argument("name", nargs="?")
    p.add_argument("--admin", action="store_true",
                   help="an administrator: holds every privilege, manages users, groups and grants")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin (one line)")
    p.set_defaults(fn=cmd_user)

    p = sub.add_parser("group", help="manage groups of users (grant to a group, not to each user)")
    p.add_argument("action", choices=["add", "remove", "add-member", "remove-member", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("members", nargs="*", help="users, for add-member and remove-member")
    p.set_defaults(fn=cmd_group)

    p = sub.add_parser("demo", help="build the demo lakehouse (catalog `demo`)")
    p.add_argument("--force", action="store_true", help="drop and rebuild catalog demo")
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("config", help="print the effective configuration and where each value came from")
    p.set_defaults(fn=cmd_config)

    p = sub.add_parser("cp", help="copy files into or out of a volume (of this home, or of a server)")
    p.add_argument("source")
    p.add_argument("dest")
    p.add_argument("-r", "--recursive", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--server", metavar="URL",
                   help="http(s)://HOST:PORT of a `lakelens serve` HTTP port: copy through its Files API")
    p.add_argument("--user", default=None, help="user name for --server (default: session.user or the OS user)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password for --server from stdin (else $LAKELENS_PASSWORD)")
    p.add_argument("--ca-cert", metavar="PEM", help="trust this CA certificate for an https:// --server")
    p.set_defaults(fn=cmd_cp)

    p = sub.add_parser("s3-server", help="run a local S3-compatible server (Versity Gateway) for trying object "
                                         "storage; `make s3-server` builds it")
    p.add_argument("--dir", default=None, help="where objects are kept (default: <home>/s3-data)")
    p.add_argument("--port", type=int, default=9000, help="port on 127.0.0.1 (default 9000)")
    p.add_argument("--bucket", default="lakelens", help="bucket to create (default lakelens)")
    p.add_argument("--configure", action="store_true",
                   help="put this home's warehouse on the server (s3://<bucket>/warehouse) in its lakelens.toml")
    p.set_defaults(fn=cmd_s3_server)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        if not type(e).__module__.startswith(("sqlalchemy", "psycopg")):
            raise
        # The metastore could not be opened: say so without a traceback, and without the
        # password of catalog.url (its drivers may quote the URL).
        from lakelens.engine.config import Config, redact_text

        try:
            url = Config.load(args.home, _conf_pairs(args.conf)).catalog_url
        except Exception:
            url = "catalog.url"
        print(f"Error: cannot use the catalog at {redact_text(url)}: {redact_text(str(e)).splitlines()[0]}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
