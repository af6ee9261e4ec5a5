"""Transfer learning between related tasks: pretrain a CNN on task A, then learn
task B from 1-50 labels per class, fine-tuned versus from scratch."""

import dataclasses

from applications.config_checks import (
    check_curve_steps,
    check_learning_rate,
    check_plain_cnn_filters,
    check_run_fields,
)
from applications.vision.transfer.pairings import PAIRINGS, POOL_PER_CLASS
from kerastoolkit.utils.argument_checks import (
    boolean,
    int_in_range,
    non_negative_int,
    one_of,
    positive_int,
    rate,
    sequence_of,
)

EVALUATE_ON = ("test", "validation")


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Task pairs, the first is the headline (and exported): fashion_split
    # (5 Fashion-MNIST classes -> the other 5), digits_style (MNIST 5k ->
    # upsampled 8x8 sklearn digits), fashion_to_mnist (the negative example).
    pairings: tuple[str, ...] = PAIRINGS
    # Task A training images for pretraining (0 = all). 30,000 keeps all of
    # fashion_split's and digits_style's task A and halves the negative
    # example's (all of Fashion-MNIST), to fit the run in 30 minutes.
    pretrain_size: int = 30000
    # Pretraining epochs on task A.
    pretrain_epochs: int = 4
    # Filters of the plain CNN's blocks (the same network for transfer and scratch).
    filters: tuple[int, ...] = (32, 64, 128)
    # Convolutions per block of the plain CNN.
    convs_per_block: int = 1
    # Labelled task B images per class, one experiment each. The default run
    # took 41 minutes here with (1, 5, 10, 50) (about 36 s per pairing, budget
    # and seed): three budgets fit it in 30 (`--labels_per_class 1,5,10,50`
    # for the fourth).
    labels_per_class: tuple[int, ...] = (1, 10, 50)
    # Seeds: each draws its own labelled set and initialisation, the same for
    # the fine-tuned, probed and scratch networks (paired comparisons).
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Where accuracy is measured: "validation" to choose settings, "test"
    # once they are chosen.
    evaluate_on: str = "test"
    # Gradient steps training the new head on the frozen backbone (the
    # linear probe, phase 1 of fine-tuning).
    head_steps: int = 200
    # Gradient steps fine-tuning the top blocks with the head (phase 2).
    fine_tune_steps: int = 300
    # Gradient steps after which the fine-tuned and the scratch networks are
    # also evaluated (besides their end), for the curve of the gain against
    # training length; the first is the learning guard's.
    curve_steps: tuple[int, ...] = (25, 50, 100, 200, 300)
    # Evaluation images the curve's points (its end included) are measured
    # on: a fixed random subset (0 = all).
    curve_size: int = 500
    # Gradient steps (batch 128, Adam, cosine decay from 1e-3) of a reference:
    # the same network trained from scratch on every labelled image of task
    # B's pool, once per pairing (0 = none). It is what few-label training
    # tends to, so it bounds the gain transfer can show: a dashed line in the
    # plot, a line under each table, `p_all_labels_accuracy`.
    all_labels_steps: int = 0
    # Top blocks of the backbone unfrozen for fine-tuning.
    unfreeze_blocks: int = 3
    # Whether the unfrozen blocks' BatchNormalization layers train too (Keras's
    # advice, followed by default, is to keep them in inference mode).
    fine_tune_batchnorm: bool = False
    # Adam's peak learning rate for the new head (cosine decay over each phase).
    head_learning_rate: float = 3e-3
    # Adam's (lower) peak learning rate for fine-tuning.
    fine_tune_learning_rate: float = 3e-4
    # Adam's peak learning rate from scratch (head_steps + fine_tune_steps steps).
    scratch_learning_rate: float = 1e-3
    # Dropout before the classifier layer.
    head_dropout: float = 0.3
    # Random shift of task B's images in training, as a fraction of the side.
    translation: float = 0.1
    # Mini-batch size on task B.
    batch_size: int = 32
    # Random seed of pretraining and of the fixed validation/test splits.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 0
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, the table, plots and the report go.
    output_dir: str = "runs/transfer"
    # SavedModel base directory (versions 1, 2, ... inside, as TF Serving reads).
    export_dir: str = "saved_models/transfer"

    @classmethod
    def quick(cls):
        """MNIST 5k -> sklearn digits at 5 labels per class, 3 seeds, a small
        CNN: fine-tuning beats scratch there by a wide margin in about a minute."""
        return cls(
            pairings=("digits_style",),
            pretrain_epochs=8,
            filters=(16, 32),
            labels_per_class=(5,),
            seeds=(0, 1, 2),
            head_steps=60,
            fine_tune_steps=60,
            unfreeze_blocks=2,
            fine_tune_learning_rate=1e-3,
            curve_steps=(25, 50, 100),
            # All of its evaluation images (the digits' test set, 1,000): the
            # curve's last point is then the run's end exactly.
            curve_size=0,
            # Cheap here (a small network), and it shows the line.
            all_labels_steps=300,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        sequence_of(
            "pairings",
            self.pairings,
            lambda name, value: one_of(name, value, PAIRINGS),
            unique=True,
        )
        non_negative_int("pretrain_size", self.pretrain_size)
        positive_int("pretrain_epochs", self.pretrain_epochs)
        filters = check_plain_cnn_filters(self.filters)
        positive_int("convs_per_block", self.convs_per_block)
        pool = min(POOL_PER_CLASS[p] for p in self.pairings)
        sequence_of(
            "labels_per_class",
            self.labels_per_class,
            lambda name, value: int_in_range(name, value, 1, pool),
            unique=True,
        )
        sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        one_of("evaluate_on", self.evaluate_on, EVALUATE_ON)
        positive_int("head_steps", self.head_steps)
        non_negative_int("fine_tune_steps", self.fine_tune_steps)
        non_negative_int("curve_size", self.curve_size)
        check_curve_steps(self.curve_steps, self.head_steps + self.fine_tune_steps)
        int_in_range("unfreeze_blocks", self.unfreeze_blocks, 0, len(filters))
        boolean("fine_tune_batchnorm", self.fine_tune_batchnorm)
        non_negative_int("all_labels_steps", self.all_labels_steps)
        check_learning_rate("head_learning_rate", self.head_learning_rate)
        check_learning_rate("fine_tune_learning_rate", self.fine_tune_learning_rate)
        check_learning_rate("scratch_learning_rate", self.scratch_learning_rate)
        rate("head_dropout", self.head_dropout)
        rate("translation", self.translation)
        positive_int("batch_size", self.batch_size)
