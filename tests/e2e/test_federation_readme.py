"""The README's "Connect two nodes in five commands", run as written against two real nodes.

The commands are read from README.md itself; only the placeholders (the two URLs, the
invitation key and A's fingerprint) are replaced by this run's values.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from accord.sharing.tlp import Tlp
from tests.e2e.federation import BACKENDS, Site, SiteSpec, running_sites
from tests.e2e.nodes import run_accord
from tests.factories import indicator

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Connect two nodes in five commands"
STEP = re.compile(r"^# (\d)\. On ([AB]):")


def readme_steps() -> list[tuple[str, list[str]]]:
    """(node, argv) of each numbered step of the README section, in order."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    node = None
    for line in block.splitlines():
        if match := STEP.match(line):
            node = match.group(2)
        elif line.startswith("accord "):
            assert node is not None, line
            steps.append((node, shlex.split(line)[1:]))
            node = None
    return steps


def test_the_readme_names_five_commands() -> None:
    steps = readme_steps()
    assert [node for node, _ in steps] == ["A", "A", "B", "B", "A"]
    assert [argv[:2] for _, argv in steps] == [
        ["node", "show"],
        ["node", "invite"],
        ["node", "add"],
        ["agreement", "add"],
        ["agreement", "add"],
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_five_commands_connect_two_nodes(backend: str, tmp_path: Path) -> None:
    specs = [
        SiteSpec("node-a", "Coalition Staff", "CA"),
        SiteSpec("node-b", "Partner Staff", "PB", "partner"),
    ]
    with running_sites(backend, tmp_path, specs) as (a, b):
        sites = {"A": a, "B": b}
        values = {"https://a.example.org": a.url, "https://b.example.org": b.url}
        for node, argv in readme_steps():
            args = [values.get(arg, arg) for arg in argv]
            output = sites[node].cli(*args)
            if argv[:2] == ["node", "show"]:
                values["A_FINGERPRINT"] = dict(line.split("\t", 1) for line in output.splitlines())[
                    "fingerprint"
                ]
            elif argv[:2] == ["node", "invite"]:
                values["INVITATION_KEY"] = output

        _each_knows_the_other(a, b)
        _an_object_crosses(a, b)


def _each_knows_the_other(a: Site, b: Site) -> None:
    a_view = a.peer_status("partner-b")
    b_view = b.peer_status("coalition-a")
    assert a_view["id"] == b.node_id()
    assert b_view["id"] == a.node_id()
    assert b_view["fingerprint"] == a.fingerprint()
    assert a_view["fingerprint"] == b.fingerprint()
    assert [o["id"] for o in a_view["organizations"]] == [b.org_id]
    assert [o["id"] for o in b_view["organizations"]] == [a.org_id]
    for site in (a, b):
        [agreement] = site.request("GET", "/api/v1/agreements").json()
        assert agreement["max_tlp"] == "TLP:AMBER"
        assert agreement["direction"] == "both"


def _an_object_crosses(a: Site, b: Site) -> None:
    shared = indicator(tlp=Tlp.GREEN, distribution="federation")
    kept = indicator(tlp=Tlp.GREEN, distribution="node")
    a.post_objects([shared, kept])
    done = b.sync()
    assert done.returncode == 0, done.stderr
    seen = b.object_ids()
    assert shared["id"] in seen
    assert kept["id"] not in seen
    assert b.peer_status("coalition-a")["sync"]["last_success"] is not None
    # What A keeps from B is reported on A's side, counted per reason (`node` objects
    # are counted, not listed); what B got from A is not withheld from A.
    assert a.sync().returncode == 0
    withheld = a.peer_status("partner-b")["sync"]["withheld"]
    assert withheld == {"total": 1, "by_reason": {"distribution node never leaves its node": 1}}
    assert b.peer_status("coalition-a")["sync"]["withheld"]["total"] == 0


def test_node_commands_fail_with_one_clear_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    assert run_accord(url, "init", cwd=tmp_path).returncode == 0
    add = ["node", "add", "coalition-a", "--url", "http://127.0.0.1:9", "--api-key", "inv_x"]
    add += ["--fingerprint", "AA:BB"]
    cases = [
        (add, "pass --public-url or set ACCORD_PUBLIC_URL"),
        ([*add, "--public-url", "ftp://b.example.org"], "is not an http(s) URL"),
        ([*add, "--public-url", "http://127.0.0.1:8"], "cannot reach http://127.0.0.1:9/"),
        (["node", "invite", "accord"], "a node named 'accord' is known already"),
        (["node", "invite", "partner", "--days", "0"], "'--days'"),
    ]
    for args, message in cases:
        done = run_accord(url, *args, cwd=tmp_path)
        assert done.returncode != 0, args
        assert done.stdout == ""
        assert done.stderr.startswith("error: ")
        assert done.stderr.count("\n") == 1, done.stderr
        assert message in done.stderr, (args, done.stderr)
    assert run_accord(url, "node", "list", cwd=tmp_path).stdout == ""
