"""Files: safe JSON reading, plan files, the profile registry, importers, recovery, atomic writes, user folders."""
