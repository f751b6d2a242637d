#!/usr/bin/env python3
"""Point unmodified third-party vendor clients at a running `keyturn sim`.

Usage:
    pip install PyGithub pynacl heroku3 infisicalsdk
    eval "$(keyturn sim --scenario github-stale --env)" &   # or run it in another terminal
    python3 scripts/real_clients.py

Reads the KEYTURN_SIM_* variables printed by `keyturn sim --env`. Each check prints
OK or FAIL with the reason; the exit code is the number of failures. Not part of CI
(it needs packages from PyPI); it is how we check the simulator against real clients.
"""
import base64
import os
import sys
import traceback

ENV = {k: v for k, v in os.environ.items() if k.startswith("KEYTURN_SIM_")}
CHECKS = []


def check(name):
    def wrap(fn):
        CHECKS.append((name, fn))
        return fn
    return wrap


def run_all():
    failures = 0
    for name, fn in CHECKS:
        try:
            print(f"OK    {name}: {fn()}")
        except Exception as exc:  # noqa: BLE001 - report every failure and go on
            failures += 1
            print(f"FAIL  {name}: {exc!r}")
            traceback.print_exc(limit=3, file=sys.stdout)
    return failures


@check("PyGithub: repo, public key, secret metadata")
def pygithub_read():
    from github import Auth, Github
    gh = Github(base_url=ENV["KEYTURN_SIM_GITHUB_URL"], auth=Auth.Token(ENV["KEYTURN_SIM_GITHUB_TOKEN"]))
    repo = gh.get_repo(ENV["KEYTURN_SIM_GITHUB_REPO"])
    key = repo.get_public_key()
    secret = repo.get_secret("HEROKU_API_KEY")
    return f"{repo.full_name} key_id={key.key_id} secret updated {secret.updated_at}"


@check("PyGithub: create_secret seals with PyNaCl; the simulator opens it")
def pygithub_write():
    from github import Auth, Github
    gh = Github(base_url=ENV["KEYTURN_SIM_GITHUB_URL"], auth=Auth.Token(ENV["KEYTURN_SIM_GITHUB_TOKEN"]))
    repo = gh.get_repo(ENV["KEYTURN_SIM_GITHUB_REPO"])
    repo.create_secret("PYGITHUB_PROBE", "value-from-pygithub")
    return "PUT accepted"


@check("PyGithub: workflows, dispatch, runs")
def pygithub_workflows():
    from github import Auth, Github
    gh = Github(base_url=ENV["KEYTURN_SIM_GITHUB_URL"], auth=Auth.Token(ENV["KEYTURN_SIM_GITHUB_TOKEN"]))
    repo = gh.get_repo(ENV["KEYTURN_SIM_GITHUB_REPO"])
    wf = repo.get_workflow("deploy-console.yml")
    ok = wf.create_dispatch("main", {"environment": "production", "ref": "main"})
    runs = list(wf.get_runs())[:3]
    return f"{wf.name} dispatched={ok} runs={[(r.id, r.status, r.conclusion) for r in runs]}"


@check("heroku3: account, apps, config vars")
def heroku3_read():
    from heroku3.core import Heroku
    conn = Heroku()
    conn._heroku_url = ENV["KEYTURN_SIM_HEROKU_URL"]  # heroku3 has no public base-URL option
    conn.authenticate(ENV["KEYTURN_SIM_HEROKU_TOKEN"])
    apps = conn.apps()
    app = apps[0]
    cfg = app.config()
    return f"{len(apps)} apps; {app.name} has {len(cfg.to_dict())} config vars"


@check("Infisical Python SDK: universal auth login + get secret")
def infisical_sdk():
    from infisical_sdk import InfisicalSDKClient
    client = InfisicalSDKClient(host=ENV["KEYTURN_SIM_INFISICAL_URL"])
    client.auth.universal_auth.login(
        client_id=ENV["KEYTURN_SIM_INFISICAL_CLIENT_ID"],
        client_secret=ENV["KEYTURN_SIM_INFISICAL_CLIENT_SECRET"],
    )
    secret = client.secrets.get_secret_by_name(
        secret_name="HEROKU_API_KEY",
        project_id=ENV["KEYTURN_SIM_INFISICAL_PROJECT_ID"],
        environment_slug=ENV["KEYTURN_SIM_INFISICAL_ENVIRONMENT"],
        secret_path="/MooseQuest/heroku",
    )
    return f"version {secret.version}, value of {len(secret.secretValue)} chars"


if __name__ == "__main__":
    if "KEYTURN_SIM_HEROKU_URL" not in ENV:
        sys.exit("run `eval \"$(keyturn sim --scenario github-stale --env)\"` first")
    failed = run_all()
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    sys.exit(failed)
