"""MetaFFI's Python3 host API: load Go guest libraries, Java code and Python modules into
this process and call them like local functions.

    from metaffi import MetaFFIRuntime, MetaFFITypes
    from metaffi.metaffi_types import new_metaffi_type_info

    runtime = MetaFFIRuntime("go")
    module = runtime.load_module("hello_MetaFFIGuest")
    say_hello = module.load_entity("callable=SayHello",
        [new_metaffi_type_info(MetaFFITypes.metaffi_string8_type)],
        [new_metaffi_type_info(MetaFFITypes.metaffi_string8_type)])
    print(say_hello("Python"))
"""
from .metaffi_errors import ForeignError, MetaFFIError
from .metaffi_handle import MetaFFIHandle
from .metaffi_module import MetaFFIEntity, MetaFFIModule
from .metaffi_runtime import MetaFFIRuntime
from .metaffi_types import (MetaFFICallable, MetaFFITypes, make_metaffi_callable, metaffi_type_info,
                            new_metaffi_type_info)

MetaFFITypeInfo = metaffi_type_info

__all__ = [
    "MetaFFIRuntime", "MetaFFIModule", "MetaFFIEntity", "MetaFFIHandle", "MetaFFITypes", "MetaFFIError",
    "ForeignError", "metaffi_type_info", "MetaFFITypeInfo", "new_metaffi_type_info", "make_metaffi_callable",
    "MetaFFICallable",
]
