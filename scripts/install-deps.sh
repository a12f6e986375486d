#!/usr/bin/env bash
# Installs every Debian package Dictum needs to build, run and test.
# Idempotent: does nothing when all are present. Works as root, uses sudo otherwise.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libncurses-dev
  libasound2-dev libpulse-dev
  libsamplerate0-dev libsndfile1-dev libmpg123-dev
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev
  libcurl4-openssl-dev libjson-c-dev libssl-dev zlib1g-dev
  libsqlite3-dev sqlite3
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us pocketsphinx
  sphinxtrain sphinxbase-utils
  libmicrohttpd-dev
  libcmocka-dev
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils
  tmux sox flite curl python3
  wrk python3-yaml
  ffmpeg
  espeak-ng
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
