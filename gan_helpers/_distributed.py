"""The plumbing that lets ``training.GAN`` run unchanged on several devices (``tf.distribute``).

On one device every function here is the identity or close to it. Under a strategy with R replicas, each
replica trains on its 1/R of every batch, so:

- random numbers are drawn once for the whole batch and sliced, so R devices see what one device would;
- each replica's loss is divided by R, because the replicas' gradients are summed;
- the metrics are averaged over the replicas before they are reported.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops


def replica_count() -> int:
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_slice(global_draw, count: int, seed):
    """This replica's ``count`` values of one draw for all replicas: ``global_draw(total, seed)`` makes
    ``count * replicas`` values from a (2,) int32 ``seed``."""
    replicas = replica_count()
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    return global_draw(count * replicas, seed)[replica * count : (replica + 1) * count]


def scaled_loss(loss, optimizer):
    """The loss whose gradient this replica contributes: divided by the replica count, and scaled by a
    mixed-precision ``LossScaleOptimizer`` (a no-op for other optimizers)."""
    return optimizer.scale_loss(loss / replica_count())


def global_mean(value):
    """The mean of ``value`` over all replicas (itself on one device)."""
    return tf.distribute.get_replica_context().all_reduce("MEAN", ops.convert_to_tensor(value))


def replica_seed(seed):
    """A (2,) int32 seed of this replica's own, from one shared ``seed``."""
    return seed + ops.stack([0, tf.distribute.get_replica_context().replica_id_in_sync_group])


def top_share_weights(scores, share):
    """Weights (N,) float32 for this replica's N ``scores`` (N, 1) that pick the ceil(share * total) largest
    scores of all replicas' images together (ties: the earlier image) and give each picked one
    total / picked, the rest 0: the global mean of (weights * values) is then the mean over the picked
    images, on one device or several alike."""
    context = tf.distribute.get_replica_context()
    mine = ops.reshape(scores, (-1,))
    everyone = (
        mine if replica_count() == 1 else ops.reshape(context.all_gather(mine, axis=0), (-1,))
    )
    total, count = ops.shape(everyone)[0], ops.shape(mine)[0]
    picked = ops.maximum(ops.cast(ops.ceil(share * ops.cast(total, "float32")), "int32"), 1)
    # each of my images' rank among everyone's: how many score higher, or as high and come earlier
    # (comparisons rather than a sort, which XLA on a CPU made 3-6x slower than the whole step)
    my_index = context.replica_id_in_sync_group * count + tf.range(count)
    ahead = (everyone[None, :] > mine[:, None]) | (
        (everyone[None, :] == mine[:, None]) & (tf.range(total)[None, :] < my_index[:, None])
    )
    ranks = ops.sum(ops.cast(ahead, "int32"), axis=1)
    return ops.where(ranks < picked, ops.cast(total, "float32") / ops.cast(picked, "float32"), 0.0)
