# shellcheck shell=bash disable=SC2153 # IMAGES, DIGESTS, E2E_RUN, SETUP… come from the step's env
# Sourced by the assertion steps of .github/workflows/e2e-buildx.yml: the registry service's /v2/
# API read with curl and jq, and the builders seen with docker. Each check ends the step with an
# ::error:: on the first thing that is wrong. The steps pass the action's outputs as $IMAGES and
# $DIGESTS.

REG=http://localhost:5000
ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
IMAGE_TYPES=' application/vnd.oci.image.manifest.v1+json application/vnd.docker.distribution.manifest.v2+json '
INDEX_TYPES=' application/vnd.oci.image.index.v1+json application/vnd.docker.distribution.manifest.list.v2+json '
WORK=${RUNNER_TEMP:-/tmp}/e2e-buildx
mkdir -p "$WORK"

# On stderr, so that a check called inside $(…) still shows why it failed.
fail() {
  echo "::error::$*" >&2
  exit 1
}

# fetch_manifest REPO REF: GET the manifest into $WORK/manifest; sets HEADER_DIGEST (the
# registry's Docker-Content-Digest), BODY_DIGEST (sha256 of the bytes served) and MEDIA_TYPE.
fetch_manifest() {
  curl -fsS -H "Accept: ${ACCEPT}" -D "$WORK/headers" -o "$WORK/manifest" \
    "${REG}/v2/$1/manifests/$2" || fail "the registry has no manifest $1:$2"
  HEADER_DIGEST=$(tr -d '\r' <"$WORK/headers" | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
  BODY_DIGEST=sha256:$(sha256sum "$WORK/manifest" | cut -d' ' -f1)
  MEDIA_TYPE=$(jq -r '.mediaType // empty' "$WORK/manifest")
  if [ -z "$MEDIA_TYPE" ]; then
    MEDIA_TYPE=$(tr -d '\r' <"$WORK/headers" | awk -F': ' 'tolower($1) == "content-type" {print $2}')
  fi
}

# platforms_of: the platforms an index in $WORK/manifest lists, sorted ("" for an image manifest).
platforms_of() {
  jq -r '[.manifests[]? | .platform | "\(.os)/\(.architecture)\(if .variant then "/" + .variant else "" end)"] | sort | join(" ")' "$WORK/manifest"
}

# entry_of NAME: sets ENTRY, the images output's entry for NAME, and DIGEST, its digest.
entry_of() {
  ENTRY=$(jq -c --arg n "$1" '.[] | select(.name == $n)' <<<"$IMAGES")
  [ -n "$ENTRY" ] || fail "$1 is not in the images output: ${IMAGES}"
  DIGEST=$(jq -r .digest <<<"$ENTRY")
}

# check_pushed NAME KIND: the images output says this run built and pushed NAME; the digests
# output agrees; every tag the output lists is in the registry with Docker-Content-Digest equal to
# the output digest (and the bytes served hash to it); the manifest is KIND: `image` (an OCI or
# Docker v2 schema 2 image manifest, not an index) or `index` (an index of linux/amd64 and
# linux/arm64 and nothing else). Sets ENTRY, DIGEST and REPO (the repository path in the registry).
check_pushed() {
  local name=$1 kind=$2 tag platforms
  entry_of "$name"
  echo "${name}: ${ENTRY}"
  jq -e '.status == "pushed" and .pushed == true and .built == true and ."reused-from" == ""
    and (.digest | test("^sha256:[0-9a-f]{64}$")) and (.tags | length > 0)' <<<"$ENTRY" >/dev/null ||
    fail "${name} was not built and pushed by this run: ${ENTRY}"
  [ "$(jq -r .repository <<<"$ENTRY")" = "localhost:5000/e2e/${name}" ] ||
    fail "${name}: repository $(jq -r .repository <<<"$ENTRY"), expected localhost:5000/e2e/${name}"
  REPO=e2e/${name}
  [ "$(jq -r --arg n "$name" '.[$n] // empty' <<<"$DIGESTS")" = "$DIGEST" ] ||
    fail "the digests output (${DIGESTS}) disagrees with the images output for ${name} (${DIGEST})"
  for tag in $(jq -r '.tags[]' <<<"$ENTRY"); do
    fetch_manifest "$REPO" "$tag"
    echo "  ${tag}: ${HEADER_DIGEST} ${MEDIA_TYPE}"
    [ "$HEADER_DIGEST" = "$DIGEST" ] ||
      fail "${REPO}:${tag} is ${HEADER_DIGEST:-missing} in the registry, the outputs say ${DIGEST}"
    [ "$BODY_DIGEST" = "$DIGEST" ] ||
      fail "${REPO}:${tag}: the manifest served hashes to ${BODY_DIGEST}, not ${DIGEST}"
  done
  platforms=$(platforms_of)
  case "$kind" in
    image)
      [[ "$IMAGE_TYPES" == *" ${MEDIA_TYPE} "* ]] ||
        fail "${REPO}@${DIGEST} is ${MEDIA_TYPE}, not an image manifest; it lists [${platforms}] (unknown/unknown is an attestation manifest: provenance should be off)"
      ;;
    index)
      [[ "$INDEX_TYPES" == *" ${MEDIA_TYPE} "* ]] || fail "${REPO}@${DIGEST} is ${MEDIA_TYPE}, not an index"
      [ "$platforms" = "linux/amd64 linux/arm64" ] ||
        fail "${REPO}@${DIGEST} lists [${platforms}], expected exactly [linux/amd64 linux/arm64]"
      ;;
  esac
}

# check_registry_tags NAME: the registry holds exactly the tags the images output lists for NAME.
check_registry_tags() {
  local listed wanted
  entry_of "$1"
  listed=$(curl -fsS "${REG}/v2/e2e/$1/tags/list" | jq -r '.tags // [] | sort | join(" ")')
  wanted=$(jq -r '.tags | sort | join(" ")' <<<"$ENTRY")
  echo "$1: the registry has [${listed}], the outputs say [${wanted}]"
  [ "$listed" = "$wanted" ] || fail "$1: the registry has tags [${listed}], the outputs say [${wanted}]"
}

# layers_of REPO DIGEST: the layer digests of an image manifest, as a JSON array.
layers_of() {
  fetch_manifest "$1" "$2"
  jq -c '[.layers[].digest]' "$WORK/manifest"
}

# built_file REPO DIGEST: the /built file the probe's RUN step wrote, read from the image's last
# layer blob (that RUN step is the Dockerfile's last instruction that makes a layer).
built_file() {
  local layer member
  fetch_manifest "$1" "$2"
  layer=$(jq -r '.layers[-1].digest' "$WORK/manifest")
  curl -fsSL -o "$WORK/layer" "${REG}/v2/$1/blobs/${layer}" || fail "the registry has no blob $1@${layer}"
  member=$(tar -tf "$WORK/layer" | grep -E '^(\./)?built$' | head -n 1) || true
  [ -n "$member" ] || fail "the last layer of $1@$2 (${layer}) has no /built: $(tar -tf "$WORK/layer" | head -n 20 | tr '\n' ' ')"
  tar -xOf "$WORK/layer" "$member"
}

# check_built_by_run TEXT MACHINE: /built says this job's build wrote it, on MACHINE (uname -m).
check_built_by_run() {
  [[ "$1" == "built for ${E2E_RUN} on $2, nonce "* ]] ||
    fail "/built reads '$1'; expected 'built for ${E2E_RUN} on $2, nonce …'"
}

# check_builder STRICT: which builder the ocir-push step just used, seen while the job runs (its
# post step removes a builder it created only when the job ends). Reads SETUP (none,
# setup-buildx-action or buildx-builder-env), REFUSED (true when the runner's default builder
# refused what the run needs), SETUP_BUILDER (setup-buildx-action's builder) and BUILDX_BUILDER.
# With STRICT=false a missing private builder is a warning, not a failure.
check_builder() {
  local strict=$1 current containers name total expected
  current=$(docker buildx inspect | awk '$1 == "Name:" {print $2; exit}')
  containers=$(docker ps --all --format '{{.Names}}' | grep '^buildx_buildkit_ocir-push-' || true)
  docker buildx ls
  echo "current builder: ${current}; ocir-push BuildKit containers: ${containers:-none}"
  if [ "$SETUP" = none ]; then
    [ "$current" = default ] ||
      fail "the current builder is now '${current}': ocir-push should pass --builder to its builds, not switch the runner's current builder"
    if [ "$REFUSED" != true ]; then
      echo "::notice::The runner's default builder accepted what this run needs (containerd image store?), so ocir-push need not create a builder; it created: ${containers:-none}."
      return 0
    fi
    if [ -z "$containers" ]; then
      [ "$strict" = true ] || {
        echo "::warning::No ocir-push-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}… builder found after a run without secrets."
        return 0
      }
      fail "the default builder refuses what this run needs, yet no BuildKit container named buildx_buildkit_ocir-push-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}… exists: the action did not create its builder"
    fi
    for name in $containers; do
      [[ "$name" == "buildx_buildkit_ocir-push-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}"* ]] ||
        fail "BuildKit container ${name} is not named after this run (ocir-push-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}…)"
      [ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$name")" = host ] ||
        fail "${name} does not use the host network (--driver-opt network=host), so it cannot reach localhost:5000"
    done
  else
    # The job's own docker-container builder: setup-buildx-action's (made current), or the one
    # BUILDX_BUILDER names (not current; buildx and `docker buildx inspect` read the variable).
    expected=${SETUP_BUILDER:-${BUILDX_BUILDER:-}}
    [ -n "$expected" ] || fail "SETUP is ${SETUP}, but neither SETUP_BUILDER nor BUILDX_BUILDER names a builder"
    [ -z "$containers" ] ||
      fail "ocir-push created ${containers} although the job's builder ${expected} (${SETUP}) was there to use"
    [ "$current" = "$expected" ] ||
      fail "buildx now picks '${current}', not the job's builder ${expected} (${SETUP})"
    # The builds ran on that builder: its BuildKit holds their cache.
    total=$(docker buildx du --builder "$expected" | awk '$1 == "Total:" {print $2}')
    echo "build cache on ${expected}: ${total:-unknown}"
    if [ -z "$total" ] || [ "$total" = 0B ]; then
      fail "the job's builder ${expected} (${SETUP}) holds no build cache: the builds ran elsewhere"
    fi
  fi
}

# check_withheld COUNT: a run without secrets built every image (COUNT of them) and pushed none.
check_withheld() {
  echo "$IMAGES" | jq .
  jq -e --argjson n "$1" 'length == $n and all(.[]; .status == "built" and .pushed == false)' <<<"$IMAGES" >/dev/null ||
    fail "without secrets every image should be built and none pushed: ${IMAGES}"
}
