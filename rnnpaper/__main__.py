"""python -m rnnpaper COMMAND [options]

Commands:
  classify   train the recurrent classifiers and baselines on your own CSV/TSV/JSONL file
             (python -m rnnpaper classify --help)

The studies have their own entry point: python -m rnnpaper.studies --help
"""

import sys

COMMANDS = ("classify",)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "classify":
        from rnnpaper.classify import main as classify

        return classify(argv[1:])
    print(f"error: unknown command {argv[0]!r}; choose one of {COMMANDS}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
