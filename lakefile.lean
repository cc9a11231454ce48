import Lake
open Lake DSL

/-! Lean proofs of linattn (arXiv 2603.13085); core Lean only, checked by
`python -m pyverify.lean check`. -/

package linattn

@[default_target]
lean_lib LinAttn where
  srcDir := "lean"
