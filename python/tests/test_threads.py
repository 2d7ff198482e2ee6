"""Python threads: separate engines run concurrently with results equal to a single thread's and
to the numpy reference; one engine shared by threads stays correct; the GIL is released while the
C++ run computes, so other Python threads make progress during a call."""
import threading
import time

import numpy as np

import numpy_reference
from pylre import LatentRuntimeEngine as LRE

F32 = np.float32


def run_threads(target, n):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as e:  # reported in the main thread, where pytest sees it
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_four_threads_with_their_own_engines(resnet_path):
    rng = np.random.default_rng(3)
    images = [rng.standard_normal((2, 3, 32, 32), dtype=F32) for _ in range(4)]
    reference = [numpy_reference.run(resnet_path, {"image": image})[0] for image in images]
    single = [LRE(resnet_path)(image).copy() for image in images]
    for s, r in zip(single, reference):
        np.testing.assert_allclose(s, r, rtol=1e-4, atol=1e-4)
    results = [[] for _ in images]

    def work(i):
        lre = LRE(resnet_path)
        for _ in range(20):
            results[i].append(lre(images[i]))

    run_threads(work, 4)
    for i in range(4):
        assert len(results[i]) == 20
        for out in results[i]:
            np.testing.assert_array_equal(out, single[i])


def test_one_engine_shared_by_threads(resnet_path):
    rng = np.random.default_rng(4)
    images = [rng.standard_normal((1 + i, 3, 32, 32), dtype=F32) for i in range(4)]
    lre = LRE(resnet_path)
    single = [lre(image).copy() for image in images]
    results = [[] for _ in images]

    def work(i):
        for _ in range(10):
            results[i].append(lre(images[i]))

    run_threads(work, 4)
    for i in range(4):
        for out in results[i]:
            np.testing.assert_array_equal(out, single[i])


def test_gil_is_released_during_a_run(resnet_path):
    lre = LRE(resnet_path)
    # A batch big enough that one call lasts a while even on a fast machine.
    batch = 16
    image = np.zeros((batch, 3, 32, 32), F32)
    while True:
        start = time.perf_counter()
        lre(image)
        duration = time.perf_counter() - start
        if duration > 0.2 or batch >= 4096:
            break
        batch *= 2
        image = np.zeros((batch, 3, 32, 32), F32)

    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        lre(image)
        end = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    # Were the GIL held for the whole call, the spinner could not record a single tick inside it.
    margin = 0.1 * (end - start)
    inside = [t for t in ticks if start + margin < t < end - margin]
    assert inside, f"no Python progress during a {end - start:.3f} s call"
