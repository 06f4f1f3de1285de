package build

import (
	"context"
	"fmt"

	"github.com/polyarch/polyarch/build/dockerfile"
)

// copyStep runs COPY or ADD.
func (r *platformRun) copyStep(ctx context.Context, s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, f *dockerfile.Files, from dockerfile.Origin, parents, isAdd bool, add *dockerfile.Add) error {
	return fmt.Errorf("%s is not implemented yet", in.Kind())
}
