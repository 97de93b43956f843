"""Checks docker/k8s without a cluster; make test runs it (Tests/SweepCLITests/ContainerTests.swift).

    .build/container-tools/bin/python3 docker/k8s/validate.py docker/k8s      # every manifest, and how they fit
    .build/container-tools/bin/python3 docker/k8s/validate.py FILE.yaml ...   # these manifests only

Every resource is checked against its schema strictly, so that an unknown field is an
error, as with `kubectl apply`'s server-side field validation: the built-in kinds
against kubernetes-validate's schemas, KEDA's ScaledObject against the schema of its
CRD in schemas/. A kind without a schema is an error, where kubernetes-validate only
warns. Given the directory, it also checks what no schema can: that the autoscalers
size the workers by their slots, that both count the same backlog, and that
Prometheus's scrape job finds the coordinator's /metrics with its token.

The Python of `make deps-containers` has what it imports: kubernetes-validate,
jsonschema and PyYAML, pinned in the Makefile.
"""
import json
import math
import os
import re
import sys

import jsonschema
import yaml
from kubernetes_validate import utils as kubernetes_validate
from referencing import Registry, Resource

HERE = os.path.dirname(os.path.abspath(__file__))
KUBERNETES = kubernetes_validate.latest_version()
STRICT_DIR = "kubernetes-json-schema/v%s-local-strict" % KUBERNETES

# Custom resources: (apiVersion, kind) → the openAPIV3Schema of their CRD, copied into schemas/.
CUSTOM = {("keda.sh/v1alpha1", "ScaledObject"): "scaledobject-keda.sh-v1alpha1.json"}

# KEDA's CRD leaves a trigger's metadata a map of strings, and KEDA ignores keys it
# does not know (unless KEDA_CHECK_UNEXPECTED_SCALERS_PARAMS=enabled, and then it
# only logs them). The keys its prometheus scaler reads, so that a misspelt one fails
# here instead; numbers as KEDA parses them (JSON), booleans as Go's ParseBool. From
# KEDA v2.20.2: pkg/scalers/prometheus_scaler.go,
# pkg/scalers/authentication/authentication_types.go, pkg/scalers/scalersconfig/typed_config.go.
NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
BOOL = {"enum": ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]}
TRIGGER_METADATA = {
    "prometheus": {
        "type": "object",
        "required": ["serverAddress", "query", "threshold"],
        "propertyNames": {"enum": [
            "serverAddress", "query", "queryParameters", "threshold", "activationThreshold", "namespace",
            "customHeaders", "ignoreNullValues", "unsafeSsl", "awsRegion", "timeout", "identityOwner",
            "authModes", "authMode", "apiKey", "method", "keyParamName"]},
        "properties": {
            "serverAddress": {"pattern": "^https?://"},
            "threshold": {"pattern": NUMBER},
            "activationThreshold": {"pattern": NUMBER},
            "ignoreNullValues": BOOL,
            "unsafeSsl": BOOL,
        },
    },
}


def strict(schema):
    """A CRD's schema as the API server applies it under strict field validation: an
    object that lists its properties takes no others."""
    schema = dict(schema)
    if "properties" in schema:
        schema["properties"] = {name: strict(s) for name, s in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = strict(schema[key])
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            schema[key] = [strict(s) for s in schema[key]]
    return schema


def custom_validator(api_version, kind):
    with open(os.path.join(HERE, "schemas", CUSTOM[(api_version, kind)])) as f:
        schema = strict(json.load(f))
    schema["properties"]["apiVersion"] = {"enum": [api_version]}
    schema["properties"]["kind"] = {"enum": [kind]}
    # the CRD says only "object"; the API server checks metadata as it does for every kind
    definitions = kubernetes_validate.schema_contents(STRICT_DIR + "/_definitions.json", KUBERNETES)
    schema["properties"]["metadata"] = {"$ref": definitions["$id"] + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    return jsonschema.Draft202012Validator(schema, registry=Resource.from_contents(definitions) @ Registry())


def custom_errors(resource):
    """The schema's own errors, then what it states in CEL or leaves to the scalers."""
    api_version, kind = resource["apiVersion"], resource["kind"]
    errors = [e for e in custom_validator(api_version, kind).iter_errors(resource)]
    if errors or kind != "ScaledObject":
        return errors
    spec = resource["spec"]
    # the CRD's one x-kubernetes-validations rule, in CEL, which jsonschema does not read
    if spec.get("minReplicaCount", 0) > spec.get("maxReplicaCount", 100):
        errors.append(jsonschema.ValidationError("minReplicaCount must be less than or equal to maxReplicaCount",
                                                 path=["spec", "minReplicaCount"]))
    for i, trigger in enumerate(spec["triggers"]):
        if trigger["type"] in TRIGGER_METADATA:
            for e in jsonschema.Draft202012Validator(TRIGGER_METADATA[trigger["type"]]).iter_errors(trigger["metadata"]):
                e.path.extendleft(reversed(["spec", "triggers", i, "metadata"]))
                errors.append(e)
    return errors


def validate(filename):
    """Each resource of a file against its schema; prints a line for each, returns the failures."""
    failures = 0
    for resource in kubernetes_validate.resources_from_file(filename):
        name = "%s/%s" % (resource.get("kind", "?").lower(), (resource.get("metadata") or {}).get("name", "?"))
        key = (resource.get("apiVersion"), resource.get("kind"))
        if None in key:
            print("ERROR %s: a resource without apiVersion or kind" % filename)
            failures += 1
            continue
        try:
            if key in CUSTOM:
                errors = custom_errors(resource)
                against = "the CRD schema in schemas/%s" % CUSTOM[key]
            else:
                errors, against = [], "version %s" % kubernetes_validate.validate(resource, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors, against = [e], "version %s" % e.version
        except kubernetes_validate.SchemaNotFoundError as e:
            print("ERROR %s: %s (a custom resource needs its CRD's schema in docker/k8s/schemas)" % (filename, e.message))
            failures += 1
            continue
        for e in errors:
            print("ERROR %s did not validate for resource %s against %s: %s: %s"
                  % (filename, name, against, ".".join(str(p) for p in e.path), e.message))
        if not errors:
            print("INFO %s passed for resource %s against %s" % (filename, name, against))
        failures += bool(errors)
    return failures


# How the manifests fit together


def cpu_cores(quantity):
    """A CPU quantity ("2", "1500m", "0.5") in cores."""
    quantity = str(quantity)
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def env(container, name):
    return next((e for e in container.get("env", []) if e["name"] == name), None)


def slots(deployment):
    """The training slots of one pod: SWEEP_CONCURRENCY, given or from the CPU limit (rounded up)."""
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        concurrency = env(container, "SWEEP_CONCURRENCY")
        if concurrency is None:
            continue
        if "value" in concurrency:
            return int(concurrency["value"])
        ref = concurrency["valueFrom"]["resourceFieldRef"]
        assert ref["resource"] == "limits.cpu", "SWEEP_CONCURRENCY comes from %s, not limits.cpu" % ref["resource"]
        limit = cpu_cores(container["resources"]["limits"]["cpu"])
        return math.ceil(limit / cpu_cores(ref.get("divisor", "1")) - 1e-9)
    raise AssertionError("deployment/%s sets no SWEEP_CONCURRENCY" % deployment["metadata"]["name"])


def pod_meta_labels(pod, port_name):
    """The __meta_kubernetes_pod_* labels that Prometheus's pod discovery gives a pod's port."""
    labels = {"__meta_kubernetes_pod_container_port_name": port_name}
    for name, value in pod["metadata"]["labels"].items():
        labels["__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", name)] = value
    return labels


def check_together(directory):
    """What no schema says: returns the problems found."""
    resources = {}
    for filename in sorted(os.listdir(directory)):
        if filename.endswith((".yaml", ".yml")):
            for r in kubernetes_validate.resources_from_file(os.path.join(directory, filename)):
                resources[(r["kind"], r["metadata"]["name"])] = r
    with open(os.path.join(directory, "prometheus", "scrape-config.yaml")) as f:
        (scrape,) = yaml.safe_load(f)
    with open(os.path.join(directory, "prometheus", "adapter-values.yaml")) as f:
        (rule,) = yaml.safe_load(f)["rules"]["external"]
    problems = []

    def expect(condition, message):
        if not condition:
            problems.append(message)

    # KEDA: ceil(backlog / slots per pod) workers, zero when there is no backlog
    (scaled,) = [r for r in resources.values() if r["kind"] == "ScaledObject"]
    target = scaled["spec"]["scaleTargetRef"]
    workers = resources.get(("Deployment", target["name"]))
    expect(workers is not None, "the ScaledObject scales deployment/%s, which no manifest here has" % target["name"])
    if workers is None:
        return problems
    per_pod = slots(workers)
    (trigger,) = scaled["spec"]["triggers"]
    expect(trigger.get("metricType") == "AverageValue", "the ScaledObject's trigger is not metricType: AverageValue")
    expect(float(trigger["metadata"]["threshold"]) == per_pod,
           "the ScaledObject's threshold is %s, a worker pod has %d slots" % (trigger["metadata"]["threshold"], per_pod))
    expect(scaled["spec"].get("minReplicaCount") == 0, "the ScaledObject does not scale the workers to zero")
    # prometheus-adapter's HPA: the same target, the same backlog, the same slots
    hpa = resources[("HorizontalPodAutoscaler", workers["metadata"]["name"])]
    expect(hpa["spec"]["scaleTargetRef"]["name"] == target["name"], "hpa.yaml and the ScaledObject scale different Deployments")
    (metric,) = hpa["spec"]["metrics"]
    expect(metric["type"] == "External" and metric["external"]["metric"]["name"] == rule["name"]["as"],
           "hpa.yaml asks for an external metric that prometheus/adapter-values.yaml does not name")
    expect(metric["external"]["target"] == {"type": "AverageValue", "averageValue": str(per_pod)},
           "hpa.yaml's target is %s, a worker pod has %d slots" % (metric["external"]["target"], per_pod))
    series = rule["seriesQuery"].split("{")[0]
    adapter_query = rule["metricsQuery"].replace("<<.Series>>", series).replace(",<<.LabelMatchers>>", "")
    expect(adapter_query == trigger["metadata"]["query"],
           "the ScaledObject counts %s, prometheus-adapter %s" % (trigger["metadata"]["query"], adapter_query))

    # the coordinator serves /metrics off the loopback, with the token Prometheus has
    (coordinator,) = [r for r in resources.values() if r["kind"] == "Deployment"
                      and any(env(c, "SWEEP_HTTP") for c in r["spec"]["template"]["spec"]["containers"])]
    pod = coordinator["spec"]["template"]
    (container,) = [c for c in pod["spec"]["containers"] if env(c, "SWEEP_HTTP")]
    port = int(env(container, "SWEEP_HTTP")["value"].rsplit(":", 1)[1])
    expect({"name": "http", "containerPort": port} in container.get("ports", []),
           "the coordinator's container port http is not SWEEP_HTTP's port %d" % port)
    token = env(container, "SWEEP_HTTP_TOKEN")
    expect(token is not None, "SWEEP_HTTP without SWEEP_HTTP_TOKEN: the coordinator exits 2 off the loopback")
    if token is not None:
        mounts = [m for m in container["volumeMounts"] if os.path.dirname(token["value"]) == m["mountPath"]]
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        secret = mounts and volumes[mounts[0]["name"]].get("secret", {}).get("secretName")
        expect(bool(secret), "SWEEP_HTTP_TOKEN %s is not in a Secret's volume" % token["value"])
        credentials = scrape.get("authorization", {}).get("credentials_file", "")
        expect(credentials == "/etc/prometheus/secrets/%s/%s" % (secret, os.path.basename(token["value"])),
               "Prometheus reads the token from %s, not from the Secret %s" % (credentials or "nowhere", secret))
    for relabel in scrape["relabel_configs"]:
        if relabel.get("action") == "keep":
            labels = pod_meta_labels(pod, "http")
            unknown = [s for s in relabel["source_labels"] if s not in labels]
            expect(not unknown, "cannot tell whether the scrape job keeps the coordinator: %s" % unknown)
            value = ";".join(labels.get(s, "") for s in relabel["source_labels"])
            expect(re.fullmatch(relabel["regex"], value) is not None,
                   "the scrape job keeps %s, not the coordinator's port http (%s)" % (relabel["regex"], value))
    return problems


def main(arguments):
    if not arguments:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    failures = 0
    for argument in arguments:
        if os.path.isdir(argument):
            manifests = sorted(f for f in os.listdir(argument) if f.endswith((".yaml", ".yml")))
            for filename in manifests:
                failures += validate(os.path.join(argument, filename))
            if failures:
                continue
            try:
                problems = check_together(argument)
            except (KeyError, ValueError, AssertionError, OSError) as e:
                problems = ["cannot check how the manifests fit together: %s: %s" % (type(e).__name__, e)]
            for problem in problems:
                print("ERROR %s: %s" % (argument, problem))
            if not problems:
                print("INFO %s: the autoscalers size the workers by their slots and count the same backlog; "
                      "Prometheus scrapes the coordinator with its token" % argument)
            failures += len(problems)
        else:
            failures += validate(argument)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
