#!/usr/bin/env python3
"""Train one nas candidate with PyTorch on Fashion-MNIST and print its accuracy for nas.

    nas search --target-ms 80 --evaluator "cmd:.venv/bin/python evaluate.py --steps 300"

nas runs the command once per candidate with the path of a JSON file describing the candidate
appended as the last argument (or in place of `{}`, and in NAS_ARCH_FILE). This script writes
the candidate's canonical .arch text to a temporary directory, turns it into a PyTorch module
with `nas export --format pytorch`, builds Network(in_chans=1, num_classes=10), trains it for a
short fixed budget, scores it on a held-out part of the training files, and prints
{"accuracy": ..., ...} on the last line of standard output. Progress and errors go to
standard error; any failure exits non-zero, which nas records as a failed evaluation.

Replace load_data() and train() with your own data and training code: the contract with nas is
only "read the JSON file, print {"accuracy": fraction in [0, 1]} last, exit 0".
"""

import argparse
import gzip
import importlib.util
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

EXIT_EXPORT = 3  # nas export failed or its module did not build
EXIT_DATA = 4  # the data set is missing or malformed
EXIT_DIVERGED = 5  # the loss became NaN or infinite

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


class Failure(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def log(quiet, *parts):
    if not quiet:
        print("evaluate.py:", *parts, file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Train a nas candidate with PyTorch on Fashion-MNIST and print "
        "{\"accuracy\": ...} for `nas search --evaluator cmd:...`.",
        epilog="""\
nas binary: --nas, else the NAS environment variable, else `nas` on PATH.
Output: the last line of standard output is JSON: accuracy (top-1 on the held-out
images, a fraction) and numeric details (val_loss, train_loss, params, steps,
train_seconds, eval_seconds, images_per_second, seconds) that nas keeps with
the evaluation. Progress goes to standard error.
Exit status: 0 success, 2 bad arguments, 3 nas export failed or its module did
not build, 4 data set missing or malformed, 5 the loss became NaN or infinite,
1 anything else (nas records a non-zero exit as a failed evaluation, with the
end of standard error as its message).""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("candidate", nargs="?", default=os.environ.get("NAS_ARCH_FILE"),
                   help="the JSON file nas hands over (its \"canonical\" .arch text is used), or a "
                   "plain .arch file for trying the script by hand (default: $NAS_ARCH_FILE)")
    p.add_argument("--nas", default=os.environ.get("NAS") or shutil.which("nas"),
                   help="the nas binary that runs `nas export --format pytorch` (default: $NAS, "
                   "else nas on PATH)")
    p.add_argument("--data", default=DEFAULT_DATA,
                   help="directory with Fashion-MNIST's train-images-idx3-ubyte(.gz) and "
                   "train-labels-idx1-ubyte(.gz) (default: %(default)s, from Debian's "
                   "dataset-fashion-mnist)")
    p.add_argument("--steps", type=int, default=200, help="optimizer steps (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="images per step (default: %(default)s)")
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd",
                   help="SGD with Nesterov momentum 0.9, or AdamW (default: %(default)s)")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate (default: 0.02 for sgd, 0.002 for adamw)")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="weight decay on convolution and linear weights, not on biases or batch "
                   "norm (default: 5e-5 for sgd, 0.05 for adamw)")
    p.add_argument("--warmup", type=int, default=None,
                   help="linear warm-up steps before the cosine decay to zero (default: 5%% of --steps)")
    p.add_argument("--label-smoothing", type=float, default=0.1,
                   help="cross-entropy label smoothing (default: %(default)s)")
    p.add_argument("--resolution", type=int, default=28,
                   help="input side in pixels; other than 28 resizes the images bilinearly "
                   "(default: %(default)s)")
    p.add_argument("--val-size", type=int, default=5000,
                   help="training images held out for scoring, never trained on (default: %(default)s)")
    p.add_argument("--split-seed", type=int, default=0,
                   help="seed of the train/held-out split; keep it fixed across a search "
                   "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial weights, dropout and batch order (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads (default: %(default)s)")
    p.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                   help="train in PyTorch's default NCHW layout instead of channels-last "
                   "(channels-last is about 1.5x faster on the CPU)")
    p.add_argument("--eval-batch-size", type=int, default=1000,
                   help="images per forward pass when scoring (default: %(default)s)")
    p.add_argument("--keep-model", metavar="FILE", help="also copy the exported model.py to FILE")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    args = p.parse_args(argv)
    if not args.candidate:
        p.error("no candidate: give the JSON file nas hands over (or a .arch file), or set NAS_ARCH_FILE")
    if args.steps < 1 or args.batch_size < 1 or args.resolution < 1 or args.threads < 1:
        p.error("--steps, --batch-size, --resolution and --threads must be positive")
    if args.lr is None:
        args.lr = 0.02 if args.optimizer == "sgd" else 0.002
    if args.weight_decay is None:
        args.weight_decay = 5e-5 if args.optimizer == "sgd" else 0.05
    if args.warmup is None:
        args.warmup = max(1, args.steps // 20)
    return args


# ---------------------------------------------------------------------------------------------
# The candidate


def read_candidate(path):
    """(canonical .arch text, hash or None) from nas's JSON file or from a plain .arch file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise Failure(f"cannot read the candidate {path}: {e.strerror}", 1)
    try:
        request = json.loads(text)
    except json.JSONDecodeError:
        return text, None  # a .arch file given by hand
    if not isinstance(request, dict) or not isinstance(request.get("canonical"), str):
        raise Failure(f"{path}: JSON without a string \"canonical\" (the .arch text nas writes)", 1)
    return request["canonical"], request.get("hash")


def export_module(nas, arch_text, workdir, quiet):
    """Write the .arch text, run `nas export --format pytorch` and import the module it writes."""
    if not nas:
        raise Failure("no nas binary: set NAS=/path/to/nas, put nas on PATH, or pass --nas", EXIT_EXPORT)
    arch = os.path.join(workdir, "candidate.arch")
    model_py = os.path.join(workdir, "model.py")
    with open(arch, "w", encoding="utf-8") as f:
        f.write(arch_text if arch_text.endswith("\n") else arch_text + "\n")
    cmd = [nas, "export", arch, "--format", "pytorch", "--out", model_py]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise Failure(f"cannot run {nas}: {e.strerror}", EXIT_EXPORT)
    except subprocess.TimeoutExpired:
        raise Failure(f"`{' '.join(cmd)}` took over 300 s", EXIT_EXPORT)
    if done.returncode != 0:
        raise Failure(f"`{' '.join(cmd)}` exited with status {done.returncode}: "
                      f"{(done.stderr or done.stdout).strip()}", EXIT_EXPORT)
    log(quiet, done.stderr.strip() or done.stdout.strip())
    spec = importlib.util.spec_from_file_location("nas_candidate_model", model_py)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - report whatever the generated file raised
        raise Failure(f"the exported module {model_py} does not import: {type(e).__name__}: {e}", EXIT_EXPORT)
    return module, model_py


# ---------------------------------------------------------------------------------------------
# Data: Fashion-MNIST's IDX files read with numpy (no torchvision)


def read_idx(path, np):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise Failure(f"cannot read {path}: {e}", EXIT_DATA)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise Failure(f"{path}: not an unsigned-byte IDX file", EXIT_DATA)
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    body = data[4 + 4 * dims:]
    if len(body) != math.prod(shape):
        raise Failure(f"{path}: {len(body)} bytes of data for shape {shape}", EXIT_DATA)
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def find_idx(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise Failure(f"{directory} has no {stem}(.gz); on Debian: apt install dataset-fashion-mnist", EXIT_DATA)


def load_data(args, np):
    """(train images, train labels, held-out images, held-out labels, mean, std): uint8 N x 28 x 28
    images, int64 labels; mean and std of the training part's pixels in [0, 1]."""
    images = read_idx(find_idx(args.data, "train-images-idx3-ubyte"), np)
    labels = read_idx(find_idx(args.data, "train-labels-idx1-ubyte"), np).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise Failure(f"{args.data}: images {images.shape} and labels {labels.shape} do not match", EXIT_DATA)
    if not 0 < args.val_size < len(images):
        raise Failure(f"--val-size {args.val_size} must be between 1 and {len(images) - 1}", 2)
    order = np.random.default_rng(args.split_seed).permutation(len(images))
    val, train = order[:args.val_size], order[args.val_size:]
    train_images = images[train]
    pixels = train_images.astype(np.float64) / 255.0
    mean, std = float(pixels.mean()), float(pixels.std())
    return train_images, labels[train], images[val], labels[val], mean, std


# ---------------------------------------------------------------------------------------------
# Training


def main(argv):
    args = parse_args(argv)
    started = time.time()
    arch_text, arch_hash = read_candidate(args.candidate)

    # OpenMP threads that spin while waiting make 2 threads slower than 1 when the cores are
    # shared with other work; sleeping waiters cost little when they are not.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="nas-pytorch-") as workdir:
        module, model_py = export_module(args.nas, arch_text, workdir, args.quiet)
        if args.keep_model:
            shutil.copyfile(model_py, args.keep_model)
        torch.manual_seed(args.seed)
        try:
            model = module.Network(in_chans=1, num_classes=10)
        except Exception as e:  # noqa: BLE001
            raise Failure(f"Network(in_chans=1, num_classes=10) failed: {type(e).__name__}: {e}", EXIT_EXPORT)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)

    train_x, train_y, val_x, val_y, mean, std = load_data(args, np)
    train_x = torch.from_numpy(train_x)
    train_y = torch.from_numpy(train_y)
    val_x = torch.from_numpy(val_x)
    val_y = torch.from_numpy(val_y)

    def prepare(batch):
        """uint8 N x 28 x 28 to the network's float N x 1 x R x R, normalised with the training
        split's statistics."""
        x = (batch.unsqueeze(1).float() / 255.0 - mean) / std
        if args.resolution != x.shape[-1]:
            x = F.interpolate(x, size=(args.resolution, args.resolution), mode="bilinear", align_corners=False)
        return x.contiguous(memory_format=layout)

    params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(groups, lr=args.lr, momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.AdamW(groups, lr=args.lr)

    def lr_at(step):  # linear warm-up, then cosine to zero
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * 0.5 * (1 + math.cos(math.pi * t))

    log(args.quiet, f"{arch_hash[:12] if arch_hash else 'candidate'}: {params} parameters, "
        f"{len(train_x)} training / {len(val_x)} held-out images at {args.resolution}x{args.resolution}, "
        f"{args.steps} steps of {args.batch_size}, {args.optimizer} lr {args.lr}, {args.threads} threads")

    generator = torch.Generator().manual_seed(args.seed)
    order, cursor = torch.randperm(len(train_x), generator=generator), 0
    model.train()
    train_started = time.time()
    recent = []
    for step in range(args.steps):
        if cursor + args.batch_size > len(order):
            order, cursor = torch.randperm(len(train_x), generator=generator), 0
        idx = order[cursor:cursor + args.batch_size]
        cursor += args.batch_size
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits = model(prepare(train_x[idx]))
        loss = F.cross_entropy(logits, train_y[idx], label_smoothing=args.label_smoothing)
        if not torch.isfinite(loss):
            raise Failure(f"the loss became {loss.item()} at step {step + 1} of {args.steps} "
                          f"(lr {lr_at(step):.4g}); lower --lr", EXIT_DIVERGED)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        recent.append(loss.item())
        recent = recent[-20:]
        if (step + 1) % 50 == 0 or step + 1 == args.steps:
            rate = (step + 1) * args.batch_size / (time.time() - train_started)
            log(args.quiet, f"step {step + 1}/{args.steps} loss {sum(recent) / len(recent):.4f} "
                f"({rate:.0f} images/s)")
    train_seconds = time.time() - train_started

    model.eval()
    eval_started = time.time()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(val_x), args.eval_batch_size):
            logits = model(prepare(val_x[i:i + args.eval_batch_size]))
            target = val_y[i:i + args.eval_batch_size]
            loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    val_loss = loss_sum / len(val_x)
    if not math.isfinite(val_loss):
        raise Failure(f"the held-out loss is {val_loss} (batch norm statistics blew up?); lower --lr", EXIT_DIVERGED)
    result = {
        "accuracy": correct / len(val_x),
        "val_loss": round(val_loss, 6),
        "train_loss": round(sum(recent) / len(recent), 6),
        "params": params,
        "steps": args.steps,
        "train_seconds": round(train_seconds, 3),
        "eval_seconds": round(time.time() - eval_started, 3),
        "images_per_second": round(args.steps * args.batch_size / train_seconds, 1),
        "seconds": round(time.time() - started, 3),
    }
    log(args.quiet, f"held-out accuracy {result['accuracy']:.4f}, loss {val_loss:.4f}, {result['seconds']:.1f} s in all")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        print(f"evaluate.py: error: {e}", file=sys.stderr, flush=True)
        sys.exit(e.status)
    except KeyboardInterrupt:
        sys.exit(130)
