"""Infrastructure as code and deployment manifests, by path, by marker file and by content. PURE.

Paths: Terraform/OpenTofu (`*.tf`, `*.tofu`, `*.tfvars`, `*.tf.json`, `.terraform.lock.hcl`,
`terragrunt.hcl`, other `*.hcl` but Terraform tests), Pulumi (`Pulumi.yaml`, `Pulumi.<stack>.yaml`),
CDK (`cdk.json`), CloudFormation/SAM (`cloudformation/`, `cfn/`, `samconfig.toml`), Ansible
(`ansible.cfg`, `playbooks/`, `roles/<role>/tasks|handlers|…`, `group_vars/`, `host_vars/`,
`inventory.ini`), Helm (`Chart.yaml`, `Chart.lock`, `values*.yaml`, `helmfile.yaml`, `templates/*.tpl`,
folders `charts/`, `chart/`, `helm/`, `helm-chart(s)/`, `*-chart/`), kustomize
(`kustomization.yaml`), Kubernetes folders (`k8s/`, `kubernetes/`, `kube/`, `manifests/`,
`config/deploy/`), Bicep/ARM, jsonnet, Nomad, Packer, Vagrant, systemd units, nginx, HAProxy,
Envoy, Caddy and Traefik configuration, serverless and platform deploy files
(`Procfile`, `fly.toml`, `serverless.yml`, `vercel.json`, `netlify.toml`, `render.yaml`), Kamal and
Capistrano (`config/deploy.yml`, `config/deploy.rb`, `Capfile`), and folders named `infra`,
`infrastructure`, `terraform`, `deploy`, `deployment(s)`, `provisioning`, `puppet`, `chef`, `nginx`,
`haproxy`, `systemd`, and SaltStack states (`*.sls`).

Markers: a `Chart.yaml`, `kustomization.yaml`, `ansible.cfg`, `terragrunt.hcl` or `helmfile.yaml`
marks its whole folder, wherever it is; a `Pulumi.yaml`, `cdk.json` or `serverless.yml` marks the
folder's configuration files (`MARKERS`). gate.risk.kinds applies them to every file below.

Content, for YAML, JSON and templated files (`*.yaml.erb`, `*.yaml.tpl`, `*.yml.j2`, …): a
Kubernetes manifest (`apiVersion:` and `kind:` at the start of lines, a well-known kind, fields
only a pod spec has, or a `kubernetes.io/` label or annotation), a Helm template (`.Values.`, `.Release.`, `include "…"`), CloudFormation
(`AWSTemplateFormatVersion`, `Type: AWS::…`), an Ansible play (`hosts:` with `tasks:`/`roles:`,
`ansible.builtin.`); in code, Pulumi and CDK imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["CONTENT_RULES", "MARKERS", "PATH_RULES", "production_config", "structured"]

K = FileKind.INFRA

# A marker file's (lower-case) name -> what it makes its folder, and whether code files in it are
# part of that too (a chart's or role's files are; a Pulumi or CDK app's or a Serverless service's
# own code is recognised by its imports instead).
MARKERS: dict[str, tuple[str, bool]] = {
    "chart.yaml": ("Helm chart", True),
    "chart.yml": ("Helm chart", True),
    "kustomization.yaml": ("kustomize overlay", True),
    "kustomization.yml": ("kustomize overlay", True),
    "kustomization": ("kustomize overlay", True),
    "ansible.cfg": ("Ansible project", True),
    "terragrunt.hcl": ("Terragrunt module", True),
    "helmfile.yaml": ("helmfile", True),
    "pulumi.yaml": ("Pulumi project", False),
    "pulumi.yml": ("Pulumi project", False),
    "cdk.json": ("CDK app", False),
    "serverless.yml": ("Serverless service", False),
    "serverless.yaml": ("Serverless service", False),
}
_NAMES: dict[str, str] = {
    **{name: label for name, (label, _) in MARKERS.items()},
    "chart.lock": "Helm chart lock",
    ".terraform.lock.hcl": "Terraform provider lock",
    "cdk.context.json": "CDK context",
    "samconfig.toml": "SAM configuration",
    "procfile": "Procfile",
    "fly.toml": "Fly.io deploy",
    "vercel.json": "Vercel deploy",
    "netlify.toml": "Netlify deploy",
    "render.yaml": "Render deploy",
    "app.json": "Heroku app",
    "vagrantfile": "Vagrantfile",
    "capfile": "Capistrano",
    "skaffold.yaml": "Skaffold",
    "tiltfile": "Tiltfile",
    "serverless.ts": "Serverless project",
    "inventory.ini": "Ansible inventory",
    "playbook.yml": "Ansible playbook",
    "playbook.yaml": "Ansible playbook",
    "site.yml": "Ansible playbook",
    "nginx.conf": "nginx configuration",
    "haproxy.cfg": "HAProxy configuration",
    "envoy.yaml": "Envoy configuration",
    "caddyfile": "Caddyfile",
    "traefik.yml": "Traefik configuration",
    "traefik.yaml": "Traefik configuration",
}
_EXTS: dict[str, str] = {
    ".tf": "Terraform",
    ".tofu": "OpenTofu",
    ".tfvars": "Terraform variables",
    ".bicep": "Bicep",
    ".bicepparam": "Bicep parameters",
    ".jsonnet": "jsonnet",
    ".libsonnet": "jsonnet",
    ".nomad": "Nomad job",
    ".sls": "SaltStack state",
    ".service": "systemd unit",
    ".timer": "systemd unit",
    ".socket": "systemd unit",
}
_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".tf.json", "Terraform"),
    (".tofu.json", "OpenTofu"),
    (".tfvars.json", "Terraform variables"),
    (".pkr.hcl", "Packer"),
    (".nomad.hcl", "Nomad job"),
)
_HELM_FOLDERS = frozenset({"charts", "chart", "helm", "helm-chart", "helm-charts", "helmfile.d"})
_K8S_FOLDERS = frozenset({"k8s", "kubernetes", "kube", ".kube", "manifests", "kustomize", "overlays"})
_INFRA_FOLDERS = frozenset(
    {
        "infra",
        "infrastructure",
        "terraform",
        "opentofu",
        "tofu",
        "pulumi",
        "cdk",
        "cloudformation",
        "cfn",
        "ansible",
        "playbooks",
        "group_vars",
        "host_vars",
        "deploy",
        "deployment",
        "deployments",
        "provisioning",
        "puppet",
        "chef",
        "nginx",
        "haproxy",
        "systemd",
        "nomad",
        "packer",
    }
)
_ANSIBLE_ROLE_PARTS = frozenset({"tasks", "handlers", "templates", "defaults", "vars", "meta", "files"})
_STRUCTURED = (".yaml", ".yml", ".json", ".tpl", ".erb", ".j2", ".jinja", ".jinja2", ".gotmpl", ".tmpl")


def structured(f: PathFacts) -> bool:
    """YAML, JSON or a templated file (what a manifest may be written as)."""
    return f.ends(*_STRUCTURED)


_PRODUCTION = frozenset({"prod", "production", "prd"})


def production_config(f: PathFacts) -> bool:
    """A configuration file for production by its name or folder (`application-prod.yml`,
    `config/production/…`, `settings.production.toml`)."""
    return not _PRODUCTION.isdisjoint(f.words) or not _PRODUCTION.isdisjoint(f.folder_words)


def _name(rule: str) -> Signal:
    return Signal(K, Strength.NAME, rule)


def _known_name(f: PathFacts) -> Signal | None:
    label = _NAMES.get(f.lname)
    if label is None and f.lname.startswith("pulumi.") and f.ends(".yaml", ".yml"):
        label = "Pulumi stack"
    return _name(f"{label} ({f.name})") if label else None


_SUFFIX_ENDS = tuple(suffix for suffix, _ in _SUFFIXES)


def _extension(f: PathFacts) -> Signal | None:
    if f.lname.endswith(_SUFFIX_ENDS):
        for suffix, what in _SUFFIXES:
            if f.lname.endswith(suffix):
                return _name(f"{what} (*{suffix})")
    ext = f.ext()
    label = _EXTS.get(ext)
    if label is not None:
        return _name(f"{label} (*{ext})")
    if ext == ".hcl" and not f.ends(".tftest.hcl"):
        return _name("HCL configuration (*.hcl)")
    return None


def _helm(f: PathFacts) -> Signal | None:
    in_chart = f.in_folder(_HELM_FOLDERS) or "-chart/" in f.dirpath
    if f.ldirs[-1:] == ("templates",) and f.ends(".tpl") and in_chart:
        return _name("Helm template helper (templates/*.tpl)")
    if f.lname.startswith("values") and f.ends(".yaml", ".yml"):
        return Signal(K, Strength.FOLDER, f"Helm values ({f.name})" if in_chart else "Helm-style values file")
    if in_chart:
        return Signal(K, Strength.FOLDER, "in a Helm chart folder")
    return None


def _deploy_layouts(f: PathFacts) -> Signal | None:
    if f.under("config", "deploy"):
        return Signal(K, Strength.LAYOUT, "deploy configuration (config/deploy/)")
    if f.ldirs[-1:] == ("config",) and f.lname in ("deploy.yml", "deploy.yaml", "deploy.rb"):
        return _name(f"deploy configuration (config/{f.name})")
    role = f.folder_index(frozenset({"roles"}))
    if 0 <= role < len(f.ldirs) - 2 and f.ldirs[role + 2] in _ANSIBLE_ROLE_PARTS:
        return Signal(K, Strength.LAYOUT, "Ansible role (roles/<role>/…)")
    return None


def _folders(f: PathFacts) -> Signal | None:
    index = f.folder_index(_K8S_FOLDERS)
    if index >= 0 and (structured(f) or f.dirs[index] not in ("manifests", "overlays")):
        return Signal(K, Strength.FOLDER, f"in a Kubernetes folder ({f.dirs[index]}/)")
    index = f.folder_index(_INFRA_FOLDERS)
    if index >= 0:
        return Signal(K, Strength.FOLDER, f"in an infrastructure folder ({f.dirs[index]}/)")
    return None


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (
    _known_name,
    _extension,
    _deploy_layouts,
    _helm,
    _folders,
)

_API_VERSION = re.compile(r'^[ \t]*"?apiVersion"?[ \t]*:[ \t]*\S', re.MULTILINE)
_KIND = re.compile(r'^[ \t]*"?kind"?[ \t]*:[ \t]*"?([A-Z][A-Za-z]{1,60})', re.MULTILINE)
_WELL_KNOWN_KINDS = frozenset(
    {
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob", "Service",
        "Ingress", "IngressClass", "ConfigMap", "Secret", "Namespace", "ServiceAccount", "Role",
        "ClusterRole", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "PersistentVolume", "PersistentVolumeClaim", "StorageClass",
        "CustomResourceDefinition", "Kustomization", "HTTPRoute", "Gateway", "VirtualService",
        "DestinationRule", "ServiceMonitor", "PrometheusRule", "Certificate", "Issuer", "ClusterIssuer",
        "LimitRange", "ResourceQuota", "PriorityClass", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    }
)  # fmt: skip
_POD_FIELDS = (
    "kubernetes.io/",  # well-known labels and annotations: app.kubernetes.io/name, ingress.kubernetes.io/…
    "imagePullPolicy:",
    "containerPort:",
    "livenessProbe:",
    "readinessProbe:",
    "serviceAccountName:",
    "initContainers:",
    "volumeMounts:",
    "matchLabels:",
    "nodeSelector:",
    "tolerations:",
)
_HELM_TEMPLATE = (
    ".Values.",
    ".Release.",
    ".Chart.",
    "{{ include ",
    "{{- include ",
    "{{ template ",
    "toYaml ",
)
_CLOUDFORMATION = ("AWSTemplateFormatVersion", "Type: AWS::", '"Type": "AWS::', "Transform: AWS::Serverless")
_ANSIBLE = ("ansible.builtin.", "become: true", "become: yes", "gather_facts:")
_PROGRAM_EXTS = (".ts", ".js", ".mjs", ".py", ".go", ".cs", ".java", ".kt", ".fs", ".vb")
_PULUMI_CDK = (
    ("Pulumi program", ("@pulumi/", "import pulumi", "github.com/pulumi/pulumi/sdk", "Pulumi.Deployment")),
    ("CDK app", ("aws-cdk-lib", "from aws_cdk import", "import aws_cdk", "software.amazon.awscdk", "cdktf")),
)


def _kubernetes(f: PathFacts, c: Content) -> Signal | None:
    if not structured(f):
        return None
    text = c.shown_text
    kind = _KIND.search(text)
    if kind is not None and (kind.group(1) in _WELL_KNOWN_KINDS or _API_VERSION.search(text)):
        return Signal(K, Strength.CONTENT, f"content: Kubernetes manifest (kind {kind.group(1)})")
    for field in _POD_FIELDS:
        if field in text:
            return Signal(K, Strength.CONTENT, f"content: Kubernetes manifest (`{field.rstrip(':')}`)")
    return None


def _template_formats(f: PathFacts, c: Content) -> Signal | None:
    if not structured(f):
        return None
    text = c.shown_text
    for label, markers in (
        ("Helm template", _HELM_TEMPLATE),
        ("CloudFormation template", _CLOUDFORMATION),
        ("Ansible play", _ANSIBLE),
    ):
        for marker in markers:
            if marker in text:
                return Signal(K, Strength.CONTENT, f"content: {label} (`{marker.strip()}`)")
    if "hosts:" in text and ("tasks:" in text or "roles:" in text):
        return Signal(K, Strength.CONTENT, "content: Ansible play (`hosts:` with tasks or roles)")
    return None


def _programs(f: PathFacts, c: Content) -> Signal | None:
    if not f.ends(*_PROGRAM_EXTS):
        return None
    text = c.shown_text
    for label, markers in _PULUMI_CDK:
        for marker in markers:
            if marker in text:
                return Signal(K, Strength.CONTENT, f"content: {label} (`{marker}`)")
    return None


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (
    _kubernetes,
    _template_formats,
    _programs,
)
