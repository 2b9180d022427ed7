"""The README's walkthroughs, executed as a reader pastes them against `make run` (the edge runner: the sample clip
at the local edge, KeyCacheMillis at its default): every output a line claims (`#  => ...`) is what it prints, the
signing snippets of the quick start make tokens the API accepts, and the steps the runner's banner prints run as
printed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import README_CREDENTIAL, Runner, call
from tests.readme import README, blocks, named, script

WALKTHROUGHS = sorted({block.name for block in blocks() if block.language == "sh"})
PLAYER_DIR = ROOT / "local" / "signing_keys_local" / "player"
SECRET = README_CREDENTIAL[2]


def run_walkthrough(runner: Runner, name: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    walkthrough = script(name, runner.url, SECRET)
    claims = tmp_path / "claims"
    claims.mkdir()
    for line, output in walkthrough.claims:
        (claims / str(line)).write_text(output)
    environment = {**os.environ, "CLAIMS": str(claims), "TMPDIR": str(tmp_path)}
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run(
        [bash, "-c", walkthrough.bash],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("name", WALKTHROUGHS)
def test_each_walkthrough_prints_what_the_readme_says(edge_runner: Runner, name: str, tmp_path: Path) -> None:
    # Given a walkthrough of the README, and the runner as make run starts it
    # When it runs as pasted, Then every line that claims an output printed exactly that
    done = run_walkthrough(edge_runner, name, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert script(name, edge_runner.url, SECRET).claims  # a walkthrough that claims nothing checks nothing


def test_the_quick_start_leaves_its_private_key_readable_by_you_alone(edge_runner: Runner, tmp_path: Path) -> None:
    # Given the quick start, run as pasted (its `mktemp -d` lands in the test's own temporary directory)
    done = run_walkthrough(edge_runner, "quickstart", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    # When its key directory is inspected
    (key_file,) = tmp_path.glob("tmp.*/key.json")
    # Then the create call's answer, with its private key, is a file only its owner can read or write
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_every_shell_block_that_claims_an_output_is_executed() -> None:
    # A block with claimed outputs ("#  => ...", or a status in a comment: "# 200") must be one the tests run
    readme = README.read_text(encoding="utf-8")
    marked = {block.code for block in blocks()}
    for code in re.findall(r"^```sh\n(.*?)^```", readme, re.MULTILINE | re.DOTALL):
        claims = re.search(r"#  => |#\s+[1-5][0-9]{2}\b", code)
        assert claims is None or code in marked, f"a walkthrough no test runs:\n{code[:300]}"


def signed_by_snippet(runner: Runner, language: str, tmp_path: Path) -> str:
    """A token from the README's signing snippet in `language`, with a key created as the quick start does."""
    keys = Path(tempfile.mkdtemp(dir=tmp_path))
    status, _, body = call(runner, "POST", "/access-control/signing-key", authorization=f"Bearer {SECRET}")
    assert status == 200, body
    (keys / "key.json").write_bytes(body)
    (snippet,) = named(f"{language}-signer", "python" if language == "python" else "js")
    environment = {**os.environ, "KEYS": str(keys)}
    if language == "python":
        command = [sys.executable, "-c", snippet.code]
    else:
        node = shutil.which("node")
        if node is None or not (PLAYER_DIR / "node_modules" / "jose").is_dir():
            pytest.skip("Node.js and the player package's jose (make player) are needed for the Node snippet")
        path = PLAYER_DIR / f".readme-snippet-{os.getpid()}.mjs"  # next to node_modules, where `jose` resolves
        path.write_text(snippet.code)
        command = [node, str(path)]
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    finally:
        if language == "node":
            path.unlink(missing_ok=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("language", ["python", "node"])
def test_the_quick_starts_signing_snippet_makes_a_token_that_plays(
    edge_runner: Runner, language: str, tmp_path: Path
) -> None:
    # Given a token signed by the snippet, as a backend would
    token = signed_by_snippet(edge_runner, language, tmp_path)
    # When the token debugger judges it and the exchange is asked for the sample with it
    body = json.dumps({"token": token, "mediaId": "sample"}).encode()
    _, _, verdict = call(edge_runner, "POST", "/tokens/verify", authorization=f"Bearer {SECRET}", body=body)
    status, _, _ = call(edge_runner, "GET", f"/workspaces/dev/play/sample/index.m3u8?token={token}&_=no-redirect")
    # Then it plays
    assert json.loads(verdict)["verdict"] == {"status": 200, "reason": None, "message": "the token plays this media"}
    assert status == 200  # urllib followed the redirect to the edge, which served the playlist


def banner_steps(runner: Runner) -> list[str]:
    """The shell lines the banner prints after "Then with your own key", up to the blank line that ends them."""
    start = next(i for i, line in enumerate(runner.lines) if line.startswith("Then with your own key"))
    steps = []
    for line in runner.lines[start + 1 :]:
        if not line.strip():
            return steps
        steps.append(line.strip())
    raise AssertionError(f"the banner's steps never end: {runner.output}")


def test_the_steps_the_runner_prints_run_as_printed(edge_runner: Runner, tmp_path: Path) -> None:
    # Given the banner's steps, with the seeded credential's secret where the banner shows <secret>
    steps = "\n".join(banner_steps(edge_runner)).replace("<secret>", SECRET)
    # When they are pasted into a shell in the repository
    bash = shutil.which("bash") or "/bin/bash"
    done = subprocess.run(
        [bash, "-euo", "pipefail", "-c", steps],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then each step works: a player URL with the new token, the revocation, and the debugger's verdict on it
    assert done.returncode == 0, done.stderr
    page_url, revocation, explanation = done.stdout.splitlines()
    assert page_url.startswith(f"{edge_runner.url}/demo?workspace=dev&media=sample&token=ey")
    assert json.loads(revocation)["value"] == "my-token-1"
    assert json.loads(explanation)["verdict"]["reason"] == "jti_revoked"
