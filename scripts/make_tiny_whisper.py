#!/usr/bin/env python3
"""Writes a random-weight Whisper checkpoint in Hugging Face's exact folder layout (config.json,
generation_config.json, model.safetensors or shards with an index, tokenizer files), small enough
for tests. Special and language tokens sit at the ids real Whisper vocabularies give them.

  make_tiny_whisper.py OUT_DIR [--english-only] [--mels 128] [--dtype float16] [--shards 3] ...
  make_tiny_whisper.py --test-set DIR   # the variants the unit tests read, one folder each
Needs only numpy."""
import argparse
import json
import os
import re
import sys

import numpy as np

LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg "
    "lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af "
    "oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue"
).split()
TIMESTAMPS = 1501  # <|0.00|> ... <|30.00|>, 0.02 s apart

# A little text to learn merges from, with accents, so merged tokens cover more than ASCII.
CORPUS = """
The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore.
Whisper is a general-purpose speech recognition model. It is trained on a large dataset of
diverse audio and is also a multitasking model that can perform multilingual speech recognition,
speech translation, and language identification. The the the and and and of of to to in in.
Café, naïve, résumé, über, señor, façade, déjà vu: où est la gare? Ça va très bien, merci.
Hello world! Hello there. Thank you for watching, and see you next time. 1234 5678 2024 1999.
"""


def bytes_to_unicode():
    """GPT-2's byte spelling: printable Latin-1 bytes stand for themselves, the rest from U+0100."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    order = printable + [b for b in range(256) if b not in printable]
    spelled = {}
    extra = 0
    for b in order:
        if b in printable:
            spelled[b] = chr(b)
        else:
            spelled[b] = chr(256 + extra)
            extra += 1
    return order, spelled


def learn_merges(count):
    """Greedy byte-level BPE over CORPUS: the most frequent adjacent pair first (ties by spelling)."""
    _, spelled = bytes_to_unicode()
    words = {}
    for w in re.findall(r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+", CORPUS):
        key = tuple(spelled[b] for b in w.encode("utf-8"))
        words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(count):
        pairs = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = {}
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + n
        words = merged
    return merges


def special_tokens(english_only, v3):
    """(text, id) of the special tokens, from <|endoftext|> on, as Whisper numbers them."""
    eot = 50256 if english_only else 50257
    langs = LANGUAGES if v3 else LANGUAGES[:99]
    names = ["<|endoftext|>", "<|startoftranscript|>"] + ["<|%s|>" % c for c in langs]
    names += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>"]
    names += ["<|nospeech|>" if v3 else "<|nocaptions|>", "<|notimestamps|>"]
    return [(name, eot + i) for i, name in enumerate(names)]


def timestamp_text(i):
    return "<|%d.%02d|>" % (i // 50, (i % 50) * 2)


def write_tokenizer(out, english_only, v3, style):
    order, spelled = bytes_to_unicode()
    vocab = {spelled[b]: i for i, b in enumerate(order)}
    merges = learn_merges(300)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    specials = special_tokens(english_only, v3)
    eot = specials[0][1]
    n = len(vocab)
    while n < eot:  # filler up to where the special tokens begin, never produced by the merges
        vocab["[unused%d]" % n] = n
        n += 1
    stamps_at = specials[-1][1] + 1
    stamps = [(timestamp_text(i), stamps_at + i) for i in range(TIMESTAMPS)]
    listed = specials + (stamps if style != "old" else [])
    if english_only:
        vocab["<|endoftext|>"] = eot  # GPT-2's vocabulary holds it itself

    if style == "json":
        added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": not t[2:3].isdigit()} for t, i in listed]
        tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
               "normalizer": None,
               "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                 "use_regex": True},
               "post_processor": None,
               "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                           "use_regex": True},
               "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                         "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                         "vocab": vocab, "merges": ["%s %s" % m for m in merges]}}
        with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
    else:
        with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            f.writelines("%s %s\n" % m for m in merges)
        with open(os.path.join(out, "added_tokens.json"), "w", encoding="utf-8") as f:
            json.dump({t: i for t, i in listed}, f, ensure_ascii=False, indent=2)
    with open(os.path.join(out, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"additional_special_tokens": [t for t, _ in specials[1:]], "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}, f,
                  indent=2)
    return {t: i for t, i in specials}, vocab


def sinusoids(length, channels):
    """Whisper's fixed encoder positions: log-spaced timescales up to 10000, sines then cosines."""
    half = channels // 2
    inv_timescales = np.exp(-np.log(10000.0) / (half - 1) * np.arange(half))
    angles = np.arange(length)[:, None] * inv_timescales[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def make_weights(cfg, rng, with_proj_out):
    d, vocab = cfg["d_model"], cfg["vocab_size"]
    w = {}

    def normal(*shape):
        return rng.normal(0.0, 0.02, size=shape)

    def linear(name, o, i, bias=True):
        w[name + ".weight"] = normal(o, i)
        if bias:
            w[name + ".bias"] = normal(o)

    def norm(name):
        w[name + ".weight"] = 1.0 + normal(d)
        w[name + ".bias"] = normal(d)

    def attention(name):
        linear(name + ".k_proj", d, d, bias=False)
        linear(name + ".v_proj", d, d)
        linear(name + ".q_proj", d, d)
        linear(name + ".out_proj", d, d)

    w["model.encoder.conv1.weight"] = normal(d, cfg["num_mel_bins"], 3)
    w["model.encoder.conv1.bias"] = normal(d)
    w["model.encoder.conv2.weight"] = normal(d, d, 3)
    w["model.encoder.conv2.bias"] = normal(d)
    w["model.encoder.embed_positions.weight"] = sinusoids(cfg["max_source_positions"], d)
    for l in range(cfg["encoder_layers"]):
        p = "model.encoder.layers.%d" % l
        attention(p + ".self_attn")
        norm(p + ".self_attn_layer_norm")
        linear(p + ".fc1", cfg["encoder_ffn_dim"], d)
        linear(p + ".fc2", d, cfg["encoder_ffn_dim"])
        norm(p + ".final_layer_norm")
    norm("model.encoder.layer_norm")
    w["model.decoder.embed_tokens.weight"] = normal(vocab, d)
    w["model.decoder.embed_positions.weight"] = normal(cfg["max_target_positions"], d)
    for l in range(cfg["decoder_layers"]):
        p = "model.decoder.layers.%d" % l
        attention(p + ".self_attn")
        norm(p + ".self_attn_layer_norm")
        attention(p + ".encoder_attn")
        norm(p + ".encoder_attn_layer_norm")
        linear(p + ".fc1", cfg["decoder_ffn_dim"], d)
        linear(p + ".fc2", d, cfg["decoder_ffn_dim"])
        norm(p + ".final_layer_norm")
    norm("model.decoder.layer_norm")
    if with_proj_out:
        w["proj_out.weight"] = normal(vocab, d)
    return w


def to_bfloat16_bits(a):
    """float32 -> bfloat16 bit patterns (round to nearest even); numpy has no bfloat16 type."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def encode_tensor(a, dtype):
    a = np.asarray(a, dtype=np.float32)  # half-precision checkpoints are rounded from float32, once
    if dtype == "float32":
        return "F32", np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "float16":
        return "F16", np.ascontiguousarray(a, dtype="<f2").tobytes()
    return "BF16", to_bfloat16_bits(a).astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype):
    """Header (JSON, space-padded to 8 bytes) after its little-endian u64 length, then the data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, a in tensors.items():
        tag, data = encode_tensor(a, dtype)
        header[name] = {"dtype": tag, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)
    return offset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder to write (created); with --test-set, the folder of variants")
    ap.add_argument("--test-set", action="store_true", help="write the variants the unit tests read")
    ap.add_argument("--english-only", action="store_true", help=".en layout: GPT-2 ids, vocabulary 51864")
    ap.add_argument("--mels", type=int, default=80, choices=[80, 128], help="128: large-v3 layout (vocab 51866)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    ap.add_argument("--shards", type=int, default=1, help="N > 1: model-0000i-of-0000N.safetensors + index")
    ap.add_argument("--tokenizer", default="files", choices=["files", "json", "old"],
                    help="vocab.json+merges.txt+added_tokens.json, tokenizer.json, or files without timestamps")
    ap.add_argument("--no-model-prefix", action="store_true", help="names as WhisperModel saves them")
    ap.add_argument("--with-proj-out", action="store_true", help="write proj_out.weight instead of tying it")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2, help="encoder and decoder layers each")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if args.test_set:
        variants = {
            "tiny": [],
            "tiny-fp16": ["--dtype", "float16", "--tokenizer", "json"],
            "tiny-sharded": ["--shards", "3", "--with-proj-out"],
            "tiny-en": ["--english-only", "--tokenizer", "old"],
            "tiny-v3": ["--mels", "128", "--dtype", "bfloat16", "--no-model-prefix"],
        }
        for name, extra in variants.items():
            main([os.path.join(args.out, name), "--seed", "1"] + extra)
        return

    if args.english_only and args.mels == 128:
        sys.exit("--english-only and --mels 128 do not go together: no English-only large-v3 exists")
    v3 = args.mels == 128
    os.makedirs(args.out, exist_ok=True)
    specials, _ = write_tokenizer(args.out, args.english_only, v3, args.tokenizer)
    eot, sot = specials["<|endoftext|>"], specials["<|startoftranscript|>"]
    transcribe, translate = specials["<|transcribe|>"], specials["<|translate|>"]
    no_timestamps = specials["<|notimestamps|>"]
    vocab_size = no_timestamps + 1 + TIMESTAMPS
    order, _ = bytes_to_unicode()
    byte_id = {b: i for i, b in enumerate(order)}
    suppress = sorted(byte_id[ord(c)] for c in "\"#()*+/:;<=>@[\\]^_`{|}~")
    begin_suppress = [byte_id[ord(" ")], eot]

    cfg = {
        "activation_dropout": 0.0, "activation_function": "gelu", "apply_spec_augment": False,
        "architectures": ["WhisperModel" if args.no_model_prefix else "WhisperForConditionalGeneration"],
        "attention_dropout": 0.0, "begin_suppress_tokens": begin_suppress, "bos_token_id": eot,
        "classifier_proj_size": 256, "d_model": args.d_model, "decoder_attention_heads": args.heads,
        "decoder_ffn_dim": args.ffn, "decoder_layerdrop": 0.0, "decoder_layers": args.layers,
        "decoder_start_token_id": sot, "dropout": 0.0, "encoder_attention_heads": args.heads,
        "encoder_ffn_dim": args.ffn, "encoder_layerdrop": 0.0, "encoder_layers": args.layers,
        "eos_token_id": eot,
        "forced_decoder_ids": [[1, no_timestamps]] if args.english_only
        else [[1, specials["<|en|>"]], [2, transcribe], [3, no_timestamps]],
        "init_std": 0.02, "is_encoder_decoder": True, "max_length": 448, "max_source_positions": 1500,
        "max_target_positions": 448, "median_filter_width": 7, "model_type": "whisper",
        "num_hidden_layers": args.layers, "num_mel_bins": args.mels, "pad_token_id": eot,
        "scale_embedding": False, "suppress_tokens": suppress, "torch_dtype": args.dtype,
        "transformers_version": "4.36.0", "use_cache": True, "use_weighted_layer_sum": False,
        "vocab_size": vocab_size,
    }
    gen = {
        "begin_suppress_tokens": begin_suppress, "bos_token_id": eot, "decoder_start_token_id": sot,
        "eos_token_id": eot, "is_multilingual": not args.english_only, "max_initial_timestamp_index": 50,
        "max_length": 448, "no_timestamps_token_id": no_timestamps, "pad_token_id": eot,
        "prev_sot_token_id": specials["<|startofprev|>"], "return_timestamps": False,
        "suppress_tokens": suppress, "transformers_version": "4.36.0",
    }
    if args.english_only:
        gen["forced_decoder_ids"] = [[1, no_timestamps]]
    else:
        gen["forced_decoder_ids"] = [[1, None], [2, transcribe]]
        gen["lang_to_id"] = {t: i for t, i in specials.items() if t[2:-2] in LANGUAGES}
        gen["task_to_id"] = {"transcribe": transcribe, "translate": translate}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)

    rng = np.random.default_rng(args.seed)
    weights = make_weights(cfg, rng, args.with_proj_out)
    if args.no_model_prefix:
        weights = {k[len("model."):] if k.startswith("model.") else k: v for k, v in weights.items()}
    if args.shards <= 1:
        write_safetensors(os.path.join(args.out, "model.safetensors"), weights, args.dtype)
        return
    names = list(weights)
    per_shard = -(-len(names) // args.shards)
    weight_map, total = {}, 0
    for s in range(args.shards):
        part = names[s * per_shard:(s + 1) * per_shard]
        file = "model-%05d-of-%05d.safetensors" % (s + 1, args.shards)
        total += write_safetensors(os.path.join(args.out, file), {k: weights[k] for k in part}, args.dtype)
        weight_map.update({k: file for k in part})
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


if __name__ == "__main__":
    main()
