"""A small Python module the demo calls from TypeScript."""


def multiply(a, b):
    return a * b


def divide(a, b):
    return a / b


def apply_twice(fn, x):
    return fn(fn(x))


class Counter:
    def __init__(self, start):
        self.value = start

    def add(self, n):
        self.value += n
        return self.value
