# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    create .venv, install, start the bot (web chat + configured channels)
#   make test   install the test tools, run the tests and the dev-set scorer
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SHARED ?= ../shared
EVAL_DB := $(VENV)/eval-kb.sqlite

.PHONY: install install-dev run chat test browser eval-dev bench load calibrate clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-calibrate.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(PY) run_bot.py run

chat: install
	$(PY) run_bot.py chat

test: install-dev browser
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory eval-dev

# Headless Chromium for the browser tests (tests/test_browser.py), from Debian's packages;
# apt-get runs only when one of the two programs is missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if command -v apt-get > /dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null \
			|| echo "browser: could not install chromium; the browser tests will be skipped"; \
		else echo "browser: chromium not installed (needs root and apt-get); the browser tests will be skipped"; fi; \
	fi

# The dev question sets scored on a fresh database of the bundled samples: the default engine against the
# gate; the fitted engine's figures for comparison; then both engines' robustness to the ways citizens type
# (perturb.py), a gate for each.
eval-dev: install
	@if [ ! -f $(SHARED)/eval/score.py ]; then \
		echo "eval-dev: skipped, $(SHARED)/eval/score.py not found (the shared folder is absent)"; exit 0; fi; \
	rm -f $(EVAL_DB) $(EVAL_DB)-wal $(EVAL_DB)-shm; \
	$(PY) run_bot.py kb import --db $(EVAL_DB) data/sample > /dev/null && \
	for set in dev-questions dev-more-questions; do \
		printf '%s: ' $$set; \
		$(PY) $(SHARED)/eval/score.py --quiet --min-answer 0.9 --min-abstain 0.9 --min-smalltalk 1.0 \
			$(SHARED)/eval/$$set.jsonl -- $(PY) run_bot.py ask --db $(EVAL_DB) --json || exit 1; \
	done; \
	echo "The fitted engine (ANSWER_ENGINE=fitted), for comparison:"; \
	for set in dev-questions dev-more-questions; do \
		printf '  %s: ' $$set; \
		ANSWER_ENGINE=fitted $(PY) $(SHARED)/eval/score.py --quiet $(SHARED)/eval/$$set.jsonl \
			-- $(PY) run_bot.py ask --db $(EVAL_DB) --json; \
	done; \
	for engine in combined fitted; do \
		echo "Robustness of the $$engine engine (a gate):"; \
		ANSWER_ENGINE=$$engine $(PY) $(SHARED)/eval/perturb.py --show 0 --min-kept 0.95 --min-typo 0.90 \
			$(SHARED)/eval/dev-questions.jsonl $(SHARED)/eval/dev-more-questions.jsonl \
			-- $(PY) run_bot.py ask --db $(EVAL_DB) --json || exit 1; \
	done

$(VENV)/.installed-bench: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

# Import speed, latency, memory and accuracy against the baselines (bench/results.md), answers/s
# before and after index maintenance (bench/hygiene-results.md), then a short load run, printed only
# (bench/load-results.md is the full one, `make load`): under 10 minutes in all on the 2-core machine.
bench: $(VENV)/.installed-bench install-dev
	$(PY) bench/run.py --shared $(SHARED)
	$(PY) bench/hygiene.py --shared $(SHARED)
	$(PY) bench/load.py --duration 10 --no-write
	$(PY) bench/staff_upload.py

# The full load bench: 100 concurrent clients for 30 s per endpoint while staff edit, answered on the
# event loop (one worker) and by one worker per core, compared (bench/load-results.md).
load: install-dev
	$(PY) bench/load.py --workers 1 2

$(VENV)/.installed-calibrate: $(VENV)/.installed requirements-calibrate.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-calibrate.txt
	touch $@

# Fit the fitted answer engine's decision model (knowledge/answer/weights.json) on the labelled sets
# named in knowledge/answer/calibration.toml and on questions generated from their pages.
calibrate: $(VENV)/.installed-calibrate
	$(PY) run_bot.py kb calibrate --shared $(SHARED)

clean:
	rm -rf $(VENV) var .pytest_cache
