# The trivial Python handler bench/python drives (the same in both runtimes).
def handler(context, event):
    return "ok"
