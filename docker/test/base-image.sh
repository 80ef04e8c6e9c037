#!/usr/bin/env bash
# Makes a container base image from Debian's packages, for the container tests on machines that
# reach no container registry: mmdebstrap lays a Debian root file system with the named packages,
# and `podman import` turns it into an image. Prints the image's name on standard output.
#
#   docker/test/base-image.sh NAME [PACKAGE...]
#
# The image is named localhost/ferry-base-NAME:KEY, where KEY is a hash of everything that goes
# into it (this script less its comments, the suite, the sorted package list and the machine's
# Debian sources), so an image already in podman's storage is used again as it is, and a change
# to any of these makes a new one. mmdebstrap takes one to three minutes per image on two cores: the cache is what keeps
# the tests' second run short. `podman rmi` of a localhost/ferry-base-* image makes it again.
#
# The root file system is trimmed as Debian's "slim" images are (no manuals, documentation or
# translations; no apt lists): the runtime base then stands for debian:bookworm-slim. As in those
# images, /usr/share/man/man1 must exist: the JDK's postinst links its manuals' alternatives there.
set -euo pipefail

if (($# < 1)); then
    echo "usage: $0 NAME [PACKAGE...]" >&2
    exit 2
fi
name="$1"
shift
suite="${FERRY_BASE_SUITE:-bookworm}"
packages="$(printf '%s\n' "$@" | sort -u | paste -sd, -)"

# The machine's own Debian sources (the mirror it already reaches), or mmdebstrap's default.
sources=()
for file in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [[ -s "$file" ]] && grep -qv '^\s*\(#\|$\)' "$file"; then
        sources=("$file")
        break
    fi
done

key="$( { grep -v '^\s*#' "${BASH_SOURCE[0]}"; echo "$suite"; echo "$packages"; ((${#sources[@]})) && cat "${sources[@]}"; } \
    | sha256sum | cut -c1-16)"
image="localhost/ferry-base-$name:$key"

if podman image exists "$image"; then
    echo "$image"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
include=()
[[ -n "$packages" ]] && include=(--include="$packages")
echo "base-image: making $image from Debian $suite${packages:+ with $packages} (mmdebstrap)" >&2
# The hooks' $1 is mmdebstrap's: the root file system being made.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=minbase "${include[@]}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook='mkdir -p "$1"/usr/share/man/man1' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" "$work/rootfs.tar" "${sources[@]}" >&2
# An imported image has no command and no environment: PATH as in Debian's images.
podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$work/rootfs.tar" "$image" >/dev/null
echo "$image"
