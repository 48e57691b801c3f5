# Two commands do everything on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each installs what the system lacks, builds .venv, installs the project, then runs.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: runtime (zbar, CJK fonts, GL for Kivy, TTS, pinyin input), test tools (Xvfb, poppler;
# shellcheck, systemd-analyze/sysusers/tmpfiles and openssl for the deploy tests; a PostgreSQL server
# the back-office tests start themselves, and Chromium for its review page).
APT_PACKAGES := python3-venv python3-dev xvfb xauth libgl1 libegl1 libgl1-mesa-dri libegl-mesa0 \
	libmtdev1 xsel libzbar0 fonts-noto-cjk fonts-wqy-microhei espeak-ng poppler-utils \
	shellcheck systemd openssl postgresql chromium chromium-driver libgooglepinyin0

.PHONY: demo test lint bench bench-camera soak screens system venv clean

demo: venv
	$(BIN)/kiosk demo

test: venv lint
	$(BIN)/python -m pytest -q || [ $$? -eq 5 ]  # 5 = nothing collected, not a failure

lint: venv
	$(BIN)/ruff check kiosk tests bench
	$(BIN)/ruff format --check kiosk tests bench

bench: venv
	$(BIN)/python -m bench.run_all

bench-camera: venv  # the full labelled image set (20 unseen frames per category) and camera timings
	$(BIN)/python -m bench.camera --seeds 20

screens: venv  # every screen, both sizes, languages and modes, into docs/screens/WxH/ (text-fit checked)
	$(BIN)/kiosk screens --out docs/screens

soak: venv
	$(BIN)/python -m pytest -q -m slow --run-slow

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi

venv: system $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[backoffice,test]'
	touch $@

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .hypothesis
