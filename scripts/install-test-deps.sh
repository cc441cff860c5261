#!/usr/bin/env bash
# Installs the external programs the end-to-end tests run, from Debian/Ubuntu packages:
#   docker-registry (CNCF Distribution), skopeo, containerd (+ctr), runc, nginx,
#   apache2-utils (htpasswd), openssl, podman, docker.io (dockerd, run privately by the
#   Docker Engine tests), chromium (headless, for the status page's browser test),
#   iproute2 (network namespaces for the redirect tests).
# Run as root. Idempotent: exits at once when every package is installed. The packages'
# own services are kept from starting: the tests run private instances on loopback.
set -euo pipefail

PKGS=(docker-registry skopeo containerd runc nginx apache2-utils openssl podman docker.io chromium iproute2)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-test-deps: must run as root: sudo $0" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "install-test-deps: apt-get not found; install these packages by hand: ${PKGS[*]}" >&2
  exit 1
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-deps: all present (${PKGS[*]})"
  exit 0
fi
echo "install-test-deps: installing ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know a package yet (fresh image/CI).
for p in "${missing[@]}"; do
  if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
    apt-get update
    break
  fi
done

# policy-rc.d answering 101 tells invoke-rc.d not to start the packages' services
# (a system registry on :5000, nginx on :80, containerd on /run/containerd).
# Only remove it afterwards if this script created it.
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

apt-get install -y --no-install-recommends "${missing[@]}"

# Under systemd, unit activation can bypass policy-rc.d; stop and disable them there.
if [[ -d /run/systemd/system ]]; then
  for s in docker-registry nginx containerd docker docker.socket podman.socket; do
    systemctl disable --now "$s" >/dev/null 2>&1 || true
  done
fi
echo "install-test-deps: done"
