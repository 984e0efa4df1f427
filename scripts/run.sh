#!/usr/bin/env bash
# README command 1: install dependencies, build, and run `selfheal serve` on the embedded default
# (SQLite in ./selfheal-data, HTTP on 127.0.0.1:8080, no Kafka, no LLM). Extra arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/selfheal serve "$@"
