"""Renders this repository's Kustomize overlays (deploy/k8s) without the kustomize binary.

Only the parts of Kustomize that deploy/k8s uses: `resources` (files and directories), `namespace`,
`images` and `patches` holding JSON 6902 operations (RFC 6902: add, replace, remove) with a
`target` (group, version, kind, name as an anchored regular expression, as Kustomize reads it).
Anything else in a kustomization.yaml, or a patch that matches nothing, is an error rather than
something silently skipped. Where `kubectl kustomize` exists, the deploy tests check that it renders
the same objects.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass"}


class KustomizeError(ValueError):
    pass


def render(directory: Path) -> list[dict[str, Any]]:
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{directory}: kustomization fields this renderer does not know: {sorted(unknown)}")
    objects: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            objects += render(path)
        else:
            objects += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    for patch in kustomization.get("patches", []):
        apply_patch(directory, patch, objects)
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = namespace
    for image in kustomization.get("images", []):
        set_image(objects, image)
    return objects


def group_version(obj: dict[str, Any]) -> tuple[str, str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    return group, version


def matches(obj: dict[str, Any], target: dict[str, str]) -> bool:
    unknown = set(target) - {"group", "version", "kind", "name"}
    if unknown:
        raise KustomizeError(f"patch target fields this renderer does not know: {sorted(unknown)}")
    group, version = group_version(obj)
    return (target.get("group", group) == group and target.get("version", version) == version
            and target.get("kind", obj["kind"]) == obj["kind"]
            and re.fullmatch(target.get("name", ".*"), obj["metadata"]["name"]) is not None)


def apply_patch(directory: Path, patch: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    text = patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text(encoding="utf-8")
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise KustomizeError(f"{directory}: only JSON 6902 patches (a list of operations) are rendered here")
    targets = [obj for obj in objects if matches(obj, patch.get("target", {}))]
    if not targets:
        raise KustomizeError(f"{directory}: a patch matches no object: {patch.get('target')}")
    for obj in targets:
        for operation in operations:
            json_patch(obj, operation)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"not a JSON pointer: {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def json_patch(document: dict[str, Any], operation: dict[str, Any]) -> None:
    """One RFC 6902 operation, in place."""
    op, parts = operation["op"], _pointer(operation["path"])
    parent: Any = document
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if op == "add":
        value = copy.deepcopy(operation["value"])
        if isinstance(parent, list):
            parent.insert(len(parent) if last == "-" else int(last), value)
        else:
            parent[last] = value
    elif op == "replace":
        if isinstance(parent, list):
            parent[int(last)] = copy.deepcopy(operation["value"])
        elif last not in parent:
            raise KustomizeError(f"replace of a missing member: {operation['path']}")
        else:
            parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    else:
        raise KustomizeError(f"JSON patch operation this renderer does not know: {op}")


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    if obj["kind"] == "CronJob":
        pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return pod.get("containers", []) + pod.get("initContainers", [])


def set_image(objects: list[dict[str, Any]], image: dict[str, str]) -> None:
    for obj in objects:
        for container in _containers(obj):
            reference = container.get("image", "")
            name = re.split(r"[@]", reference)[0]
            name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
            if name != image["name"]:
                continue
            tag = reference[len(name):]
            if "newTag" in image:
                tag = f":{image['newTag']}"
            if "digest" in image:
                tag = f"@{image['digest']}"
            container["image"] = image.get("newName", name) + tag
