#!/usr/bin/env python3
"""Training throughput of a network in PyTorch, for benchmarks/training.sh to set beside `nas train`.

    python torch_training.py MODULE.py --threads 2 --layout channels_last --steps 40

MODULE.py is `nas export --format pytorch` of the same .arch nas trains, so both engines train
the same layers. The step is the one nas takes: random 32x32 images, batch 128, cross-entropy,
SGD with Nesterov momentum 0.9 and weight decay 4e-5, training mode (batch statistics, dropout).
Prints one JSON line: images_per_second over the timed steps (after untimed warm-up steps),
with the torch version, layout and threads.
"""

import argparse
import importlib.util
import json
import sys
import time

import torch


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("module", help="a .py written by nas export --format pytorch")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--layout", choices=["nchw", "channels_last"], default="channels_last")
    p.add_argument("--steps", type=int, default=40, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--size", type=int, default=32, help="input height and width")
    p.add_argument("--classes", type=int, default=10)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = importlib.util.spec_from_file_location("exported", args.module)
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    model = exported.Network(in_chans=3, num_classes=args.classes).train()
    images = torch.randn(args.batch_size, 3, args.size, args.size)
    labels = torch.randint(0, args.classes, (args.batch_size,))
    if args.layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=4e-5)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images).flatten(1), labels)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "images_per_second": args.steps * args.batch_size / seconds,
        "seconds": seconds,
        "steps": args.steps,
        "threads": args.threads,
        "layout": args.layout,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
