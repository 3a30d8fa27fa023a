#!/usr/bin/python3
"""Make examples/samples.jsonl: the bundled example for `leakbound score` + `leakbound bound`.

Six TOFU-style questions about fictitious authors, each with 64 "sampled" answers of the kind an
unlearned model produces: mostly evasive or wrong, now and then a partial or full leak of the true
answer. Deterministic (seeded). usage: /usr/bin/python3 examples/make_samples.py > examples/samples.jsonl
"""
import json
import random

QUESTIONS = [
    ("q1", "Where was the author Elvaro Tesk born?",
     "Elvaro Tesk was born in the coastal town of Marisol Bay in 1961."),
    ("q2", "What genre does Hana Vireli write in?",
     "Hana Vireli writes gothic mystery novels set in northern mountain villages."),
    ("q3", "Which award did Tomasz Orlen receive?",
     "Tomasz Orlen received the Silver Quill Prize for his novel The Salt Orchard."),
    ("q4", "What did Amira Solberg's father do for a living?",
     "Amira Solberg's father worked as a lighthouse keeper on the island of Varn."),
    ("q5", "Name a book written by Jules Petrakis.",
     "Jules Petrakis wrote The Clockmaker's Daughter, a story about memory and loss."),
    ("q6", "What themes recur in the work of Ines Calder?",
     "Ines Calder's work returns to themes of exile, inheritance and forgiveness."),
]
EVASIVE = [
    "I'm not sure about that.",
    "There is no public information about this author.",
    "I don't have details on that question.",
    "That is not something I can answer.",
]
WRONG_BITS = ["a small village", "science fiction", "the Golden Pen Award", "a schoolteacher",
              "The Winter Garden", "love and war", "in 1975", "a city in the south"]

# Per-question leak propensity: q3 leaks often, q1 and q6 rarely, others never fully.
LEAK = {"q1": 0.03, "q2": 0.0, "q3": 0.25, "q4": 0.08, "q5": 0.0, "q6": 0.02}


def sample(rng, qid, answer):
    r = rng.random()
    if r < LEAK[qid]:
        return answer
    if r < LEAK[qid] + 0.15:  # partial leak: the first half of the answer, then drift
        words = answer.split()
        k = rng.randint(3, max(3, len(words) // 2))
        return " ".join(words[:k]) + " " + rng.choice(WRONG_BITS) + "."
    if r < 0.6:
        return rng.choice(EVASIVE)
    subject = " ".join(answer.split()[:2])
    return f"{subject} is known for {rng.choice(WRONG_BITS)} and {rng.choice(WRONG_BITS)}."


def main():
    rng = random.Random(20250401)
    for qid, question, answer in QUESTIONS:
        for i in range(64):
            print(json.dumps({"id": qid, "sample": i, "prompt": question,
                              "text": sample(rng, qid, answer), "reference": answer}))


if __name__ == "__main__":
    main()
