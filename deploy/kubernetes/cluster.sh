#!/usr/bin/env bash
# ShopFlow on a laptop cluster: `cluster.sh kind|minikube up|down|demo`, run by
# `make kind-up`, `make minikube-up`, `make k8s-demo`, ... Needs docker, kubectl and
# kind or minikube on PATH; helm comes from the project's tools (HELM=...), the image
# builder from the project's environment (SHOPFLOW_DOCKER=..., next to PYTHON=...).
set -euo pipefail

CLUSTER=${1:?usage: cluster.sh kind|minikube up|down|demo}
ACTION=${2:?usage: cluster.sh kind|minikube up|down|demo}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HELM=${HELM:-helm}
SHOPFLOW_DOCKER=${SHOPFLOW_DOCKER:-$(dirname "${PYTHON:-python3}")/shopflow-docker}
NAMESPACE=${NAMESPACE:-shopflow}
RELEASE=${RELEASE:-shopflow}
IMAGE_TAG=${IMAGE_TAG:-0.1.0}
UNITS="order inventory payment notification payment-provider gateway"
INGRESS_NGINX_REPO=https://kubernetes.github.io/ingress-nginx
# shellcheck source=../minikube/profile.env disable=SC1091  # plain NAME=value lines
source "$ROOT/deploy/minikube/profile.env"

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$CLUSTER-$ACTION needs $tool on PATH" >&2; exit 2; }
    done
}

kube() {
    if [ "$CLUSTER" = kind ]; then kubectl --context kind-shopflow "$@"; else kubectl --context "$MINIKUBE_PROFILE" "$@"; fi
}

build_images() {
    # The compose setup's images, built by the same builder (`make images`: only what
    # changed, the CA bundle secret behind a TLS-inspecting proxy), also tagged $IMAGE_TAG.
    "$SHOPFLOW_DOCKER" images --also-tag "$IMAGE_TAG"
}

load_images() {
    for unit in $UNITS; do
        if [ "$CLUSTER" = kind ]; then
            kind load docker-image --name shopflow "shopflow/$unit:$IMAGE_TAG"
        else
            minikube -p "$MINIKUBE_PROFILE" image load "shopflow/$unit:$IMAGE_TAG"
        fi
    done
}

create_cluster() {
    if [ "$CLUSTER" = kind ]; then
        kind get clusters | grep -qx shopflow || kind create cluster --config "$ROOT/deploy/kind/cluster.yaml"
        # The Ingress controller, configured for kind's port mappings (deploy/kind/cluster.yaml).
        "$HELM" upgrade --install ingress-nginx ingress-nginx --repo "$INGRESS_NGINX_REPO" \
            --kube-context kind-shopflow --namespace ingress-nginx --create-namespace \
            --set controller.hostPort.enabled=true --set controller.service.type=ClusterIP \
            --set-string controller.nodeSelector.ingress-ready=true \
            --set controller.watchIngressWithoutClass=true --wait
    else
        # shellcheck disable=SC2086
        minikube status -p "$MINIKUBE_PROFILE" >/dev/null 2>&1 || minikube start -p "$MINIKUBE_PROFILE" $MINIKUBE_FLAGS
        for addon in $MINIKUBE_ADDONS; do minikube -p "$MINIKUBE_PROFILE" addons enable "$addon"; done
    fi
}

install_shop() {
    # The restricted Pod Security Standard, enforced on the namespace: every pod must pass.
    kube create namespace "$NAMESPACE" --dry-run=client -o yaml | kube apply -f -
    kube label namespace "$NAMESPACE" --overwrite \
        pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest
    for chart in gateway order inventory payment notification payment-provider shopflow; do
        "$HELM" dependency build "$ROOT/helm/$chart" >/dev/null
    done
    "$HELM" upgrade --install "$RELEASE" "$ROOT/helm/shopflow" --kube-context "$(kube config current-context)" \
        -n "$NAMESPACE" -f "$ROOT/helm/shopflow/values-$CLUSTER.yaml" \
        --set "global.image.tag=$IMAGE_TAG" --wait --wait-for-jobs --timeout 10m
    "$HELM" test "$RELEASE" -n "$NAMESPACE" --kube-context "$(kube config current-context)" --logs
}

reach() {
    local host
    host=$(kube -n "$NAMESPACE" get ingress "$RELEASE-gateway" -o jsonpath='{.spec.rules[0].host}')
    echo
    echo "ShopFlow is up in the $CLUSTER cluster (namespace $NAMESPACE)."
    if [ "$CLUSTER" = kind ]; then
        echo "  Gateway: http://$host/api/v1/products   (the Ingress, on this machine's port 80)"
    else
        echo "  Gateway: http://$host/api/v1/products   after: minikube -p $MINIKUBE_PROFILE tunnel"
    fi
    echo "  Or:      kubectl -n $NAMESPACE port-forward svc/$RELEASE-gateway 8080:8080"
    echo "  Orders:  make k8s-demo        Pods: kubectl -n $NAMESPACE get pods"
}

demo() {
    # Through the cluster's own gateway Service, over a port-forward that is closed after.
    local port=${K8S_DEMO_PORT:-18080}
    kube -n "$NAMESPACE" port-forward "svc/$RELEASE-gateway" "$port:8080" >/dev/null &
    local forward=$!
    trap 'kill $forward' EXIT
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    "${PYTHON:-python3}" -c "import asyncio, sys; from shopflow_stack.demo import demo; asyncio.run(demo(sys.argv[1]))" \
        "http://127.0.0.1:$port"
}

case "$ACTION" in
    up)
        need docker kubectl "$CLUSTER"
        build_images
        create_cluster
        load_images
        install_shop
        reach
        ;;
    down)
        need "$CLUSTER"
        if [ "$CLUSTER" = kind ]; then kind delete cluster --name shopflow; else minikube delete -p "$MINIKUBE_PROFILE"; fi
        ;;
    demo)
        need kubectl curl
        demo
        ;;
    *) echo "unknown action $ACTION (up, down, demo)" >&2; exit 2 ;;
esac
