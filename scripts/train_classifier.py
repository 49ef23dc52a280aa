"""Train a shipped classifier on a real training set and save it to assets/<dataset>_classifier.h5.

Usage: python scripts/train_classifier.py mnist [--epochs N] [--seed S]
       (fashion_mnist and cifar10 work the same way). Seeded and rerunnable.
"""

import argparse

from gan_helpers import classifiers


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", choices=sorted(classifiers.RECIPES))
    parser.add_argument("--epochs", type=int, default=None, help="default: the dataset's recipe")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model, test_accuracy, seconds = classifiers.train_classifier(
        args.dataset, epochs=args.epochs, seed=args.seed
    )
    print(
        f"{args.dataset}: test accuracy {test_accuracy:.4f} after {seconds / 60:.1f} min of training, "
        f"{model.count_params():,} parameters"
    )


if __name__ == "__main__":
    main()
