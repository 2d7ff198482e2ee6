"""Builds the pylre wheel through CMake: configures the whole LRE tree (one directory up) with
LRE_PYTHON=ON, builds the _pylre target, installs the package component into the wheel's pylre/
and copies liblre next to the extension, which finds it through its $ORIGIN rpath. Extra CMake
arguments come from the LRE_CMAKE_ARGS environment variable (e.g. -DLRE_CUDA=ON)."""
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        import pybind11

        build = Path(self.build_temp).resolve() / "cmake"
        package = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                     "-DLRE_PYTHON=ON", "-DLRE_TESTS=OFF", f"-DPython_EXECUTABLE={sys.executable}",
                     f"-Dpybind11_DIR={pybind11.get_cmake_dir()}"]
        subprocess.run(configure + shlex.split(os.environ.get("LRE_CMAKE_ARGS", "")), check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "_pylre", "-j", str(os.cpu_count() or 1)], check=True)
        subprocess.run(["cmake", "--install", str(build), "--component", "python", "--prefix", str(package.parent)], check=True)
        # Only the soname (liblre.so.MAJOR) is what the extension loads.
        for lib in build.glob("liblre.so.*"):
            if lib.name.count(".") == 2:
                shutil.copy2(lib, package / lib.name, follow_symlinks=True)


setup(ext_modules=[Extension("pylre._pylre", sources=[])], cmdclass={"build_ext": CMakeBuild})
