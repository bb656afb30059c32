"""The README tells the truth: its example runs, and CI runs its test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bash_commands():
    return re.findall(r"```bash\n(.*?)\n```", README, re.S)


def test_readme_gives_exactly_two_commands_open_and_test():
    commands = _bash_commands()
    assert len(commands) == 2
    # root_dir keeps the repository as JupyterLab's root: chapters link to ../exercises/
    assert "jupyter lab --ServerApp.root_dir=. course/00_start_here.ipynb" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    test_command = _bash_commands()[1]
    install_and_test = test_command.split("&& ", 2)[-1]  # after creating and activating the venv
    assert install_and_test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_python_example_runs_and_learns(capsys):
    example = re.search(r"```python\n(.*?)\n```", README, re.S).group(1)
    exec(compile(example, "README.md", "exec"), {})
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1])
    assert accuracy >= 0.95


def test_every_notebook_in_the_chapter_map_exists():
    for link in re.findall(r"\]\((course/[^)]+\.ipynb)\)", README):
        assert (ROOT / link).exists(), link
