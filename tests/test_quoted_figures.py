"""Every figure the README and the notebooks' prose quote from a real run matches docs/results/summary.json
to the digits shown, and no notebook's prose states a speed (machine.report prints the one estimate).

The quoted figures are listed here, each as (file, phrase, paths): the phrase is the prose around the
figures with ``{}`` where each number stands, and each path names the number's place in summary.json
("01/metrics/B DENSE_MNIST/classifier_score"; a leading "%" means the file holds a fraction and the prose
a percentage). A list keeps the prose free of markers, for students reading the notebooks' raw cells, and
fails by name when the prose changes: edit the phrase here together with the prose and, for a new figure,
add its run's number to summary.json first.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "docs" / "results" / "summary.json"
NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"

B = "01/metrics/B DENSE_MNIST"
A = "01/metrics/A LITERAL"
REAL = "01/metrics/real (reference)"
EARLIER_A = "benchmarks/notebook_01_earlier_networks/metrics/A LITERAL"
NB01 = "notebooks/01_dense_mnist_gan.ipynb"
SIZES = "benchmarks/network_sizes/step_15000"
SMALL, LARGE = "G 200-500-1000, D 5e-4, G 5e-4", "G 300-600-1200, D 5e-4, G 5e-4"
POWERS, RUN_B = "G 256-512-1024, D 5e-4, G 5e-4", "G 200-500-1000, D 3e-4, G 6e-4 (DENSE_MNIST)"
CLEAN = "benchmarks/cleaner_digits_search/step_15000"
KEPT = "benchmarks/kept_by_discriminator/step_15000/DENSE_MNIST, dropout 0.1/keep 80%"
KEPT_SEED_1 = (
    "benchmarks/kept_by_discriminator/step_15000/DENSE_MNIST, dropout 0.1, seed 1/keep 80%"
)
NB10 = "notebooks/10_cleaner_digits.ipynb"
FULL_01 = "benchmarks/dropout_0.1_full_length/metrics/B DENSE_MNIST"
NB10_RUN = "10/metrics"
NB06, NB06_METRICS = "notebooks/06_dcgan_cifar10.ipynb", "06/metrics"

FIGURES = [
    ("README.md", "run B (`settings.DENSE_MNIST`, with a moving average of G) for {} steps",
     "01/B DENSE_MNIST/steps"),
    ("README.md", "of batch 128, {} training minutes", "01/B DENSE_MNIST/training_minutes"),
    ("README.md",
     ("Classifier score {}, FCD {}, {} digits with at least 5 % of 10,000 samples, against real MNIST's "
     "{} and {}."),
     f"{B}/classifier_score", f"{B}/frechet_distance", f"{B}/covered",
     f"{REAL}/classifier_score", f"{REAL}/frechet_distance"),
    ("README.md",
     ("drew noisier digits in its {} steps: classifier score {}, FCD {}, {} digits covered (on the earlier "
      "networks the same settings collapsed to {} digits)"),
     "01/A LITERAL/steps", f"{A}/classifier_score", f"{A}/frechet_distance", f"{A}/covered",
     f"{EARLIER_A}/covered"),
    (NB10, ("rate 0.1 let G drop digits (classifier score {}, balance {}), while at 0.3 run B reached {} "
      "(balance {}, blur {})"), f"{FULL_01}/classifier_score", f"{FULL_01}/balance",
     f"{B}/classifier_score", f"{B}/balance", f"{B}/blur"),
    ("README.md", "notebook 01's run B reached {} (balance {}, blur {}) with all ten digits",
     f"{B}/classifier_score", f"{B}/balance", f"{B}/blur"),
    ("README.md",
     ("after its full {} steps ({} training minutes): conditional accuracy {} %, classifier score {} and "
     "FCD {}, against real MNIST's {} and {}."),
     "08/steps", "08/training_minutes", "%08/metrics/conditional GAN/class_accuracy",
     "08/metrics/conditional GAN/classifier_score", "08/metrics/conditional GAN/frechet_distance",
     "08/metrics/real (reference)/classifier_score", "08/metrics/real (reference)/frechet_distance"),
    ("README.md", "dense GAN against DCGAN,** {} steps each", "07/runs/DCGAN/steps"),
    ("README.md",
     "cover all {} digits (classifier score {}, FCD {}); the dense GAN's cover {} ({}, {})",
     "07/metrics/DCGAN/covered", "07/metrics/DCGAN/classifier_score",
     "07/metrics/DCGAN/frechet_distance", "07/metrics/dense/covered",
     "07/metrics/dense/classifier_score", "07/metrics/dense/frechet_distance"),
    ("README.md", "Fashion-MNIST class,** {} steps per class", "05/sneaker_dg1/steps"),
    ("README.md", "one DCGAN per CIFAR-10 class,** {} steps per class", "06/runs/horse_dg1/steps"),
    ("README.md", "{}, {} and {} training minutes for the horses, birds and dogs",
     "06/runs/horse_dg1/training_minutes", "06/runs/bird_dg1/training_minutes",
     "06/runs/dog_dg1/training_minutes"),
    ("README.md",
     ("the classifier puts {} % of the horses, {} % of the birds and {} % of the dogs in their class (FCD {}, "
      "{} and {}; the real images' {}, {} and {})"),
     *(f"%{NB06_METRICS}/{name} generated/class_accuracy" for name in ("horse", "bird", "dog")),
     *(f"{NB06_METRICS}/{name} generated/frechet_distance" for name in ("horse", "bird", "dog")),
     *(f"{NB06_METRICS}/{name} real/frechet_distance" for name in ("horse", "bird", "dog"))),
    ("README.md", "collapsed to one image for every noise (classifier score {}, where 1 is a single class)",
     "06/ratio_metrics/D:G 1:3/classifier_score"),
    ("README.md", "and 3:1 took {} training minutes against 1:1's {}.",
     "06/runs/horse_dg3/training_minutes", "06/runs/horse_dg1/training_minutes"),
    (NB06, "The bundle's own run is shortened to {} steps per class", "06/runs/horse_dg1/steps"),
    (NB06,
     ("The classifier puts {} % of the horses, {} % of the birds and {} % of the dogs in their class "
      "(real images: {}, {} and {} %)"),
     *(f"%{NB06_METRICS}/{name} generated/class_accuracy" for name in ("horse", "bird", "dog")),
     *(f"%{NB06_METRICS}/{name} real/class_accuracy" for name in ("horse", "bird", "dog"))),
    ("README.md", "the dropout ablation,** {} steps per run", "02/runs/baseline 0.3/steps"),
    ("README.md", "(classifier score {} for the baseline 0.3, {} without dropout)",
     "02/metrics/baseline 0.3/classifier_score", "02/metrics/no dropout/classifier_score"),
    ("README.md", "Test accuracy: MNIST {} %, Fashion-MNIST {} %, CIFAR-10 {} %",
     "%classifiers/test_accuracy/mnist", "%classifiers/test_accuracy/fashion_mnist",
     "%classifiers/test_accuracy/cifar10"),
    ("README.md", "at {}× the classic Keras loop ({} against {} steps/s",
     "benchmarks/train_speed/trainer_over_classic",
     "benchmarks/train_speed/trainer_steps_per_second",
     "benchmarks/train_speed/classic_loop_steps_per_second"),
    ("README.md", "reached classifier score {} and FCD {} after 15,000 steps",
     f"{CLEAN}/DENSE_MNIST/classifier_score", f"{CLEAN}/DENSE_MNIST/frechet_distance"),
    ("README.md", ("moved that ({} and {} at rate 0.1), and keeping the 80 % of samples the final D "
     "trusts most took it to {} ({} from another seed"),
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/classifier_score",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/frechet_distance", f"{KEPT}/classifier_score",
     f"{KEPT_SEED_1}/classifier_score"),
    (NB01,
     ("a full run scored classifier score {} and FCD {}, with {} digits holding at least 5 % of the "
     "samples (real MNIST: {} and {})."),
     f"{B}/classifier_score", f"{B}/frechet_distance", f"{B}/covered",
     f"{REAL}/classifier_score", f"{REAL}/frechet_distance"),
    (NB01, "after {} steps CS {}, FCD {} and {} digits covered",
     "01/A LITERAL/steps", f"{A}/classifier_score", f"{A}/frechet_distance", f"{A}/covered"),
    (NB01, "collapsed on the earlier 256→512→1024 networks (CS {}, only {} digits covered)",
     f"{EARLIER_A}/classifier_score", f"{EARLIER_A}/covered"),
    (NB01, "at which run B ended at classifier score {} (balance {}, blur {}) with all ten digits drawn",
     f"{B}/classifier_score", f"{B}/balance", f"{B}/blur"),
    (NB01, "they ended level, at classifier score {}, {} and {}, FCD {}, {} and {}",
     f"{SIZES}/{SMALL}/classifier_score", f"{SIZES}/{LARGE}/classifier_score",
     f"{SIZES}/{POWERS}/classifier_score", f"{SIZES}/{SMALL}/frechet_distance",
     f"{SIZES}/{LARGE}/frechet_distance", f"{SIZES}/{POWERS}/frechet_distance"),
    (NB01, "the fewest FLOPs per step ({} GFLOP against {};",
     "benchmarks/network_sizes_speed/gflop_per_step/G 200-500-1000",
     "benchmarks/network_sizes_speed/gflop_per_step/G 300-600-1200"),
    (NB01,
     ("these rates scored classifier score {} and FCD {}, where both rates at 5e-4 (which break the rule) "
      "scored {} and {}"),
     f"{SIZES}/{RUN_B}/classifier_score", f"{SIZES}/{RUN_B}/frechet_distance",
     f"{SIZES}/{SMALL}/classifier_score", f"{SIZES}/{SMALL}/frechet_distance"),
    (NB01, "(at 15,000 steps: FCD {} for the average against {} for the live G)",
     f"{SIZES}/{RUN_B}/frechet_distance", f"{SIZES}/{RUN_B}/live G/frechet_distance"),
    (NB01, "Run B's settings scored CS {} (balance {}, blur {}) and FCD {} after 15,000 steps",
     f"{CLEAN}/DENSE_MNIST/classifier_score", f"{CLEAN}/DENSE_MNIST/balance",
     f"{CLEAN}/DENSE_MNIST/blur", f"{CLEAN}/DENSE_MNIST/frechet_distance"),
    (NB01, "the full run {} (balance {}, blur {}) and FCD {} at 100,000",
     f"{B}/classifier_score", f"{B}/balance", f"{B}/blur", f"{B}/frechet_distance"),
    ("notebooks/02_dropout_ablation.ipynb", "Shortened to {} steps per ablation run",
     "02/runs/baseline 0.3/steps"),
    ("notebooks/02_dropout_ablation.ipynb",
     ("classifier score / FCD {} / {} for the baseline (0.3), {} / {} without dropout, {} / {} at 0.4 "
     "and {} / {} at 0.2 (real MNIST {} / {};"),
     "02/metrics/baseline 0.3/classifier_score", "02/metrics/baseline 0.3/frechet_distance",
     "02/metrics/no dropout/classifier_score", "02/metrics/no dropout/frechet_distance",
     "02/metrics/rate +0.1/classifier_score", "02/metrics/rate +0.1/frechet_distance",
     "02/metrics/rate -0.1/classifier_score", "02/metrics/rate -0.1/frechet_distance",
     "02/metrics/real (reference)/classifier_score", "02/metrics/real (reference)/frechet_distance"),
    ("notebooks/04_classifier_assessment.ipynb",
     "classifier score {}, FCD {}, all ten digits covered, mean confidence {} (real MNIST: {}, {}, {})",
     f"{B}/classifier_score", f"{B}/frechet_distance", f"{B}/confidence",
     f"{REAL}/classifier_score", f"{REAL}/frechet_distance", f"{REAL}/confidence"),
    ("notebooks/05_dcgan_fashion_mnist.ipynb", "shortened to {} steps per class",
     "05/sneaker_dg1/steps"),
    ("notebooks/07_dense_vs_dcgan_mnist.ipynb",
     ("Shortened to {} steps each (the full run is 10,000), the DCGAN drew cleaner digits and all {} of "
     "them, classifier score {} and FCD {}, against the dense GAN's {} and {} with {} of the 10 digits "
     "covered (real MNIST: {} and {};"),
     "07/runs/DCGAN/steps", "07/metrics/DCGAN/covered", "07/metrics/DCGAN/classifier_score",
     "07/metrics/DCGAN/frechet_distance", "07/metrics/dense/classifier_score",
     "07/metrics/dense/frechet_distance", "07/metrics/dense/covered",
     "07/metrics/real (reference)/classifier_score",
     "07/metrics/real (reference)/frechet_distance"),
    ("notebooks/08_conditional_gan_mnist.ipynb",
     "reached {} % after {} steps (classifier score {}, FCD {}, against real MNIST's {} and {};",
     "%08/metrics/conditional GAN/class_accuracy", "08/steps",
     "08/metrics/conditional GAN/classifier_score", "08/metrics/conditional GAN/frechet_distance",
     "08/metrics/real (reference)/classifier_score",
     "08/metrics/real (reference)/frechet_distance"),
    (NB01,
     ("classifier score {}, {} and {} and FCD {}, {} and {} at rates 0.3, 0.2 and 0.1"),
     f"{CLEAN}/DENSE_MNIST/classifier_score", f"{CLEAN}/DENSE_MNIST, dropout 0.2/classifier_score",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/classifier_score", f"{CLEAN}/DENSE_MNIST/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, dropout 0.2/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/frechet_distance"),
    (NB01, "from a second seed {} at 0.1 against {} at 0.3",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1, seed 1/classifier_score",
     f"{CLEAN}/DENSE_MNIST, seed 1/classifier_score"),
    (NB10, "loss scored classifier score {} (balance {} / blur {}) and FCD {}; the hinge loss {} and {}",
     f"{CLEAN}/DENSE_MNIST/classifier_score", f"{CLEAN}/DENSE_MNIST/balance",
     f"{CLEAN}/DENSE_MNIST/blur", f"{CLEAN}/DENSE_MNIST/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, hinge/classifier_score", f"{CLEAN}/DENSE_MNIST, hinge/frechet_distance"),
    (NB10,
     ("least squares {} and {}, the minibatch feature {} and {}, EMA 0.9999 {} and {}, top-k {} and {}, R1 "
      "(γ 0.1, every 4 D updates) {} and {}, and WGAN-GP, the slowest to start, {} and {}."),
     f"{CLEAN}/DENSE_MNIST, least squares/classifier_score",
     f"{CLEAN}/DENSE_MNIST, least squares/frechet_distance",
     f"{CLEAN}/DENSE_MNIST + minibatch std/classifier_score",
     f"{CLEAN}/DENSE_MNIST + minibatch std/frechet_distance",
     f"{CLEAN}/DENSE_MNIST + EMA 0.9999/classifier_score",
     f"{CLEAN}/DENSE_MNIST + EMA 0.9999/frechet_distance",
     f"{CLEAN}/DENSE_MNIST + top-k 0.999, floor 0.5/classifier_score",
     f"{CLEAN}/DENSE_MNIST + top-k 0.999, floor 0.5/frechet_distance",
     f"{CLEAN}/DENSE_MNIST + R1 0.1 every 4/classifier_score",
     f"{CLEAN}/DENSE_MNIST + R1 0.1 every 4/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, wgan-gp/classifier_score", f"{CLEAN}/DENSE_MNIST, wgan-gp/frechet_distance"),
    (NB10, "from a second seed {} at rate 0.1 against {} at 0.3.",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1, seed 1/classifier_score",
     f"{CLEAN}/DENSE_MNIST, seed 1/classifier_score"),
    (NB10, "{} and {} at rate 0.2, {} and {} at rate 0.1 (blur {})",
     f"{CLEAN}/DENSE_MNIST, dropout 0.2/classifier_score",
     f"{CLEAN}/DENSE_MNIST, dropout 0.2/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/classifier_score",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/frechet_distance",
     f"{CLEAN}/DENSE_MNIST, dropout 0.1/blur"),
    (NB10, "took the rate-0.1 run to {} and FCD {}, blur {}; repeated from another seed, to {} and FCD {}",
     f"{KEPT}/classifier_score", f"{KEPT}/frechet_distance", f"{KEPT}/blur",
     f"{KEPT_SEED_1}/classifier_score", f"{KEPT_SEED_1}/frechet_distance"),
    (NB10, "A shortened run, {} steps per run instead of 20,000", "10/runs/bce (assignment)/steps"),
    (NB10,
     ("Ranked by FCD: wgan-gp {} (CS {} = balance {} / blur {}, {} digits of 10 at >= 5 %), bce + R1 {} "
      "({}, {} digits), least squares {} ({}), minibatch std {} ({}), top-k {} ({}), hinge {} ({}), the "
      "assignment's bce {} ({} = {} / {}, {} digit), bce with EMA 0.9999 the same {}"),
     *(f"{NB10_RUN}/wgan-gp/{key}" for key in ("frechet_distance", "classifier_score", "balance", "blur", "covered")),
     f"{NB10_RUN}/bce + R1/frechet_distance", f"{NB10_RUN}/bce + R1/classifier_score",
     f"{NB10_RUN}/bce + R1/covered",
     *(f"{NB10_RUN}/{name}/{key}" for name in ("least squares", "bce + minibatch std", "bce + top-k", "hinge")
       for key in ("frechet_distance", "classifier_score")),
     *(f"{NB10_RUN}/bce (assignment)/{key}" for key in ("frechet_distance", "classifier_score", "balance", "blur",
                                                        "covered")),
     f"{NB10_RUN}/bce, EMA 0.9999/frechet_distance"),
    (NB10, "and bce with dropout 0.1 {} ({});", f"{NB10_RUN}/bce, dropout 0.1/frechet_distance",
     f"{NB10_RUN}/bce, dropout 0.1/classifier_score"),
    (NB10, "drew the widest mix (balance {} and {}) but the highest blur ({} and {})",
     f"{NB10_RUN}/wgan-gp/balance", f"{NB10_RUN}/bce + R1/balance", f"{NB10_RUN}/wgan-gp/blur",
     f"{NB10_RUN}/bce + R1/blur"),
    ("notebooks/09_your_own_images.ipynb",
     "The example folder's full run ({} steps at {}×{}, batch 64,", "09/steps", "09/image_size", "09/image_size"),
    ("notebooks/09_your_own_images.ipynb",
     "at FCD {} against the 500 held-out horses, where real training horses score {}. Its NN ratio is {}:",
     "09/metrics/generated/frechet_distance", "09/metrics/real (reference)/frechet_distance",
     "09/metrics/generated/nearest_ratio"),
    ("README.md", "at its full {} steps on the example folder (4,500 CIFAR-10", "09/steps"),
    ("README.md", "horses at {}×{}, batch 64): {} training minutes", "09/image_size", "09/image_size",
     "09/training_minutes"),
    ("README.md", "FCD {} against the 500 held-out horses (real training horses: {}) and NN ratio {}:",
     "09/metrics/generated/frechet_distance", "09/metrics/real (reference)/frechet_distance",
     "09/metrics/generated/nearest_ratio"),
    ("README.md", "shortened to {} steps per run (the full run is", "10/runs/wgan-gp/steps"),
    ("README.md", "The Wasserstein run drew the widest mix (FCD {}, against {} for the assignment's loss)",
     "10/metrics/wgan-gp/frechet_distance", "10/metrics/bce (assignment)/frechet_distance"),
    (NB01, ("this notebook's run B at 0.1 ended at classifier score {} (balance {}, blur {}) and FCD {}, with "
      "only {} digits at 5 %"), f"{FULL_01}/classifier_score", f"{FULL_01}/balance", f"{FULL_01}/blur",
     f"{FULL_01}/frechet_distance", f"{FULL_01}/covered"),
    ("README.md", "rate 0.1 let G drop digits (classifier score {}, balance {}, {} digits covered)",
     f"{FULL_01}/classifier_score", f"{FULL_01}/balance", f"{FULL_01}/covered"),
]  # fmt: skip


def prose(relative: str) -> str:
    """The README's text, or a notebook's markdown cells joined, with all whitespace runs as one space."""
    path = ROOT / relative
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = path.read_text()
    return " ".join(text.split())


def summary_value(path: str) -> float:
    """The number at ``path`` in summary.json, times 100 for a "%" path."""
    value = json.loads(SUMMARY.read_text())
    for key in path.lstrip("%").split("/"):
        assert isinstance(value, dict) and key in value, (
            f"{SUMMARY.name} has no {path!r} (no key {key!r})"
        )
        value = value[key]
    return value * 100 if path.startswith("%") else value


@pytest.mark.parametrize(
    ("relative", "phrase", "paths"),
    [(entry[0], entry[1], entry[2:]) for entry in FIGURES],
    ids=[f"{Path(entry[0]).name[:2]}: {entry[1][:40]}" for entry in FIGURES],
)
def test_each_quoted_figure_matches_summary_json_to_the_digits_shown(relative, phrase, paths):
    assert phrase.count("{}") == len(paths)
    pattern = NUMBER.join(re.escape(part) for part in " ".join(phrase.split()).split("{}"))
    found = re.search(pattern, prose(relative))
    assert found, f"{relative} no longer says {phrase!r}: edit the phrase in FIGURES with the prose"
    for shown, path in zip(found.groups(), paths):
        decimals = len(shown.partition(".")[2])
        value = summary_value(path)
        assert abs(value - float(shown.replace(",", ""))) <= 0.5 * 10**-decimals + 1e-9, (
            f"{relative} quotes {shown} where {SUMMARY.name} holds {path} = {value}"
        )


SPEED = re.compile(
    r"\d[\d,.]*\s*(?:steps/s|steps? per second|s a step|s/step|s per step|hours?|minutes?)\b"
)


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_no_notebook_prose_states_a_speed_or_a_training_time(notebook):
    speeds = SPEED.findall(prose(notebook.relative_to(ROOT).as_posix()))
    assert not speeds, (
        f"{notebook.name} states {speeds} in its prose; machine.report prints the estimate instead"
    )
