"""Write examples/reviews.csv: 360 short product reviews from templates (seed 0), three classes.

The sentences are made up here, not taken from any dataset. Negations ("not great") and
mixed sentences ("good screen but poor battery") keep it from being a bag-of-words puzzle.
Rerun to regenerate the file byte for byte: python examples/make_reviews.py
"""

import csv
import random
from pathlib import Path

THINGS = ["battery", "screen", "camera", "keyboard", "speaker", "charger", "case", "lens"]
ITEMS = ["phone", "laptop", "tablet", "headset", "watch", "kettle", "lamp", "printer"]
GOOD = ["great", "excellent", "lovely", "solid", "superb", "reliable", "sharp", "quiet"]
BAD = ["awful", "poor", "flimsy", "noisy", "dim", "useless", "slow", "fragile"]
PLAIN = ["arrived on tuesday", "comes in a grey box", "weighs about a kilo", "has two ports"]


def positive(r):
    return r.choice(
        [
            f"the {r.choice(THINGS)} is {r.choice(GOOD)} and i love this {r.choice(ITEMS)}",
            f"{r.choice(GOOD)} {r.choice(ITEMS)} , the {r.choice(THINGS)} is not {r.choice(BAD)}",
            f"would buy this {r.choice(ITEMS)} again , {r.choice(GOOD)} {r.choice(THINGS)}",
            f"not {r.choice(BAD)} at all : a {r.choice(GOOD)} {r.choice(ITEMS)}",
        ]
    )


def negative(r):
    return r.choice(
        [
            f"the {r.choice(THINGS)} is {r.choice(BAD)} and i regret this {r.choice(ITEMS)}",
            f"{r.choice(BAD)} {r.choice(ITEMS)} , the {r.choice(THINGS)} is not {r.choice(GOOD)}",
            f"sent the {r.choice(ITEMS)} back , {r.choice(BAD)} {r.choice(THINGS)}",
            f"not {r.choice(GOOD)} at all : a {r.choice(BAD)} {r.choice(ITEMS)}",
        ]
    )


def neutral(r):
    return r.choice(
        [
            f"the {r.choice(ITEMS)} {r.choice(PLAIN)}",
            f"{r.choice(GOOD)} {r.choice(THINGS)} but {r.choice(BAD)} {r.choice(THINGS)} , "
            f"an average {r.choice(ITEMS)}",
            f"the {r.choice(THINGS)} is {r.choice(BAD)} but the {r.choice(THINGS)} is "
            f"{r.choice(GOOD)}",
            f"this {r.choice(ITEMS)} {r.choice(PLAIN)} , nothing else to say",
        ]
    )


OUT = Path(__file__).with_name("reviews.csv")


def main(path=OUT, n=360):
    r = random.Random(0)
    rows, seen = [], set()
    for i in range(n):
        label, make = [("positive", positive), ("negative", negative), ("neutral", neutral)][i % 3]
        text = make(r)
        while text in seen:  # every review once
            text = make(r)
        seen.add(text)
        rows.append({"review": text, "sentiment": label})
    r.shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["review", "sentiment"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
