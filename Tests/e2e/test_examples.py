"""Checks the deployment files a user copies: examples/ (compose, Kubernetes) and the Dockerfile.

No Docker engine or cluster is needed: every YAML document under examples/ is parsed and the keys users and
orchestrators depend on are asserted. When a built cql-proxy binary is at hand (CQL_PROXY_BIN, or dist/, or
.build*/{debug,release}/), the shared libraries it links are mapped to Debian packages and each must be
installed by the Dockerfile's runtime stage.

Run: python3 -m pytest -q Tests/e2e/test_examples.py
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCKERFILE = ROOT / "Dockerfile"

ASTRA_ENV = ("ASTRA_TOKEN", "ASTRA_DATABASE_ID", "HEALTH_CHECK")


# --- loading ----------------------------------------------------------------------------------------------

def yaml_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_all(path: Path) -> list[dict]:
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def compose() -> dict:
    return load_all(EXAMPLES / "docker-compose.yaml")[0]


def k8s_objects() -> list[dict]:
    return [d for p in sorted((EXAMPLES / "k8s").glob("*.yaml")) for d in load_all(p)]


def k8s_one(kind: str) -> dict:
    found = [d for d in k8s_objects() if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind} under examples/k8s, found {len(found)}"
    return found[0]


def env_map(env) -> dict:
    """Compose `environment:` as a mapping, whether written as a mapping or as a list of KEY=VALUE."""
    if isinstance(env, dict):
        return {k: ("" if v is None else str(v)) for k, v in env.items()}
    out = {}
    for item in env or []:
        key, _, value = str(item).partition("=")
        out[key] = value
    return out


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for ins in dockerfile_instructions():
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def runtime_apt_packages() -> set[str]:
    """Packages named by `apt-get install` in the last (runtime) stage."""
    packages: set[str] = set()
    for word, args in stages()[-1]:
        if word != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            tokens = shlex.split(command)
            if "apt-get" in tokens and "install" in tokens:
                after = tokens[tokens.index("install") + 1:]
                packages.update(t for t in after if not t.startswith("-") and "=" not in t)
    return packages


# --- every file -------------------------------------------------------------------------------------------

def test_every_yaml_file_parses_and_is_not_empty():
    files = yaml_files()
    assert EXAMPLES / "docker-compose.yaml" in files
    assert {p.name for p in files if p.parent.name == "k8s"} >= {"deployment.yaml", "secret.yaml", "service.yaml"}
    for path in files:
        docs = load_all(path)
        assert docs, f"{path} holds no YAML document"
        for doc in docs:
            assert isinstance(doc, dict), f"{path}: a document is not a mapping"


def test_every_k8s_document_names_its_api_and_kind():
    for doc in k8s_objects():
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc.get("metadata", {}).get("name"), doc


# --- docker compose ---------------------------------------------------------------------------------------

def test_compose_proxy_is_configured_like_the_go_image():
    proxy = compose()["services"]["cql-proxy"]
    env = env_map(proxy.get("environment"))
    for key in ASTRA_ENV:
        assert key in env, f"cql-proxy service lacks {key}"
    assert env["HEALTH_CHECK"] == "true"
    # Secrets come from .env, not from the file.
    assert env["ASTRA_TOKEN"].startswith("${ASTRA_TOKEN")
    assert env["ASTRA_DATABASE_ID"].startswith("${ASTRA_DATABASE_ID")


def test_compose_proxy_uses_the_image_built_here():
    proxy = compose()["services"]["cql-proxy"]
    build = proxy["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (EXAMPLES / context / dockerfile).resolve() == DOCKERFILE
    assert proxy.get("image"), "the built image needs a name to be pushed or reused"


def test_compose_proxy_health_comes_from_the_image_healthcheck():
    """The compose file relies on the image's HEALTHCHECK (no `healthcheck:` on the service)."""
    proxy = compose()["services"]["cql-proxy"]
    assert "healthcheck" not in proxy, "the example relies on the image's HEALTHCHECK; keep one source of truth"
    assert any(word == "HEALTHCHECK" for word, _ in stages()[-1])


def test_compose_env_file_example_defines_every_interpolated_variable():
    text = (EXAMPLES / "docker-compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    assert required >= {"ASTRA_TOKEN", "ASTRA_DATABASE_ID"}
    example = (EXAMPLES / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.M))
    assert required <= defined, f".env.example misses {sorted(required - defined)}"


def test_compose_cadence_uses_the_proxy_as_its_cassandra():
    services = compose()["services"]
    cadence = services["cadence"]
    assert cadence["image"].startswith("ubercadence/server:")
    assert not cadence["image"].endswith((":latest", ":master-auto-setup")), "pin a released Cadence tag"
    env = env_map(cadence.get("environment"))
    assert env.get("DB") == "cassandra"
    assert env.get("CASSANDRA_SEEDS") == "cql-proxy"
    assert cadence["depends_on"]["cql-proxy"]["condition"] == "service_healthy"
    schema = services["cadence-schema"]
    assert schema["depends_on"]["cql-proxy"]["condition"] == "service_healthy"
    assert cadence["depends_on"]["cadence-schema"]["condition"] == "service_completed_successfully"
    assert env_map(schema["environment"]).get("CASSANDRA_HOST") == "cql-proxy"


# --- Kubernetes -------------------------------------------------------------------------------------------

def proxy_container() -> dict:
    containers = k8s_one("Deployment")["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "cql-proxy")


def test_deployment_probes_hit_the_health_endpoints():
    container = proxy_container()
    assert container["livenessProbe"]["httpGet"] == {"path": "/liveness", "port": 8000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readiness", "port": 8000}
    ports = {p["containerPort"] for p in container["ports"]}
    assert ports == {9042, 8000}


def test_deployment_token_comes_from_the_secret():
    env = {e["name"]: e for e in proxy_container()["env"]}
    ref = env["ASTRA_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert "value" not in env["ASTRA_TOKEN"]
    secret = k8s_one("Secret")
    assert ref["name"] == secret["metadata"]["name"]
    assert ref["key"] in secret["stringData"]
    assert "ASTRA_DATABASE_ID" in env
    assert env["HEALTH_CHECK"]["value"] == "true"


def test_deployment_offers_the_bundle_as_a_commented_alternative():
    text = (EXAMPLES / "k8s" / "deployment.yaml").read_text()
    assert re.search(r"^\s*#\s*- name: ASTRA_BUNDLE\s*$", text, re.M)
    assert re.search(r"^\s*#\s*value: /bundle/secure-connect\.zip\s*$", text, re.M)
    container = proxy_container()
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/bundle")
    volumes = {v["name"]: v for v in k8s_one("Deployment")["spec"]["template"]["spec"]["volumes"]}
    items = volumes[mount["name"]]["secret"]["items"]
    assert {"key": "secure-connect.zip", "path": "secure-connect.zip"} in items


def test_deployment_runs_as_non_root_with_resources():
    spec = k8s_one("Deployment")["spec"]["template"]["spec"]
    container = proxy_container()
    pod_sc, ctr_sc = spec.get("securityContext", {}), container.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True or ctr_sc.get("runAsNonRoot") is True
    assert ctr_sc.get("allowPrivilegeEscalation") is False
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]


def test_deployment_selector_matches_its_pods():
    deployment = k8s_one("Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()


def test_service_exposes_cql_on_the_proxy_pods():
    service = k8s_one("Service")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    ports = service["spec"]["ports"]
    assert any(p["port"] == 9042 for p in ports)
    container_ports = {p.get("name"): p["containerPort"] for p in proxy_container()["ports"]}
    for p in ports:
        target = p.get("targetPort", p["port"])
        assert target in container_ports or target in container_ports.values()
    pod_labels = k8s_one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


# --- Dockerfile -------------------------------------------------------------------------------------------

def test_dockerfile_has_a_build_and_a_runtime_stage():
    froms = [args for word, args in dockerfile_instructions() if word == "FROM"]
    assert len(froms) == 2, froms
    assert froms[0].split()[0].startswith("swift:") and froms[0].split()[-2].upper() == "AS"
    assert froms[1].split()[0] == "debian:bookworm-slim"
    build_runs = " ".join(args for word, args in stages()[0] if word == "RUN")
    assert "scripts/build-release.sh" in build_runs
    assert any(word == "COPY" and "--from=build" in args for word, args in stages()[1])


def test_dockerfile_runtime_is_non_root_with_ports_healthcheck_and_entrypoint():
    runtime = stages()[-1]
    words = dict(runtime)  # last of each instruction
    user = words["USER"].split(":")[0]
    assert user not in ("root", "0"), "runtime stage must not run as root"
    assert user.isdigit(), "a numeric USER lets Kubernetes verify runAsNonRoot"
    exposed = {p.split("/")[0] for word, args in runtime if word == "EXPOSE" for p in args.split()}
    assert exposed >= {"9042", "8000"}
    assert words["ENTRYPOINT"] == '["/usr/local/bin/cql-proxy"]'
    healthcheck = words["HEALTHCHECK"]
    assert healthcheck.rstrip().endswith('CMD ["/usr/local/bin/cql-proxy", "health"]'), healthcheck


def test_build_script_is_executable():
    script = ROOT / "scripts" / "build-release.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "--static-swift-stdlib" in text and "SWIFT_SCRATCH_PATH" in text and "ldd" in text


# --- runtime libraries ------------------------------------------------------------------------------------

def built_binary() -> Path | None:
    explicit = os.environ.get("CQL_PROXY_BIN")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    candidates = [ROOT / "dist" / "cql-proxy"]
    for build_dir in sorted(ROOT.glob(".build*")):
        candidates += [build_dir / "release" / "cql-proxy", build_dir / "debug" / "cql-proxy"]
    return next((c for c in candidates if c.is_file()), None)


def debian_package_of(library: str) -> str | None:
    """The package owning a library path, trying the path as given and resolved (usr-merge)."""
    for path in dict.fromkeys([library, os.path.realpath(library),
                               library.replace("/lib/", "/usr/lib/", 1) if library.startswith("/lib/") else library]):
        result = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def test_runtime_stage_installs_every_library_the_binary_links():
    binary = built_binary()
    if binary is None:
        pytest.skip("no built cql-proxy binary (set CQL_PROXY_BIN or run scripts/build-release.sh)")
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    libraries = re.findall(r"=>\s+(/\S+)", out)
    assert libraries, out
    installed = runtime_apt_packages() | {"libc6"}  # glibc is the base image itself
    missing = {}
    for library in libraries:
        package = debian_package_of(library)
        if package is None:
            # Not from Debian: the toolchain's Swift runtime, which a debug build links dynamically and the
            # release build (--static-swift-stdlib) links in.
            assert "swift" in library.lower(), f"{library} belongs to no Debian package"
            continue
        base = package.split(":")[0]
        if base not in installed:
            missing[library] = base
    assert not missing, f"Dockerfile runtime stage does not install: {missing}"
