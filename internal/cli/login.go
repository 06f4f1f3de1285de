package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/image"
)

func newLoginCmd(e *env) *cobra.Command {
	var user, pass string
	var passStdin bool
	cmd := &cobra.Command{
		Use:   "login [-u USER] [-p PASS | --password-stdin] REGISTRY",
		Short: "Store credentials for a registry (in REGISTRY_AUTH_FILE or $DOCKER_CONFIG/config.json)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if passStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("reading the password from stdin: %w", err)
				}
				pass = strings.TrimRight(line, "\r\n")
			}
			if user == "" || pass == "" {
				return fmt.Errorf("login needs -u USER and a password (-p or --password-stdin)")
			}
			cfg, err := image.LoadConfig(e.configPath())
			if err != nil {
				return err
			}
			if err := image.Login(cmd.Context(), args[0], user, pass, e.authFile(), image.WithConfig(cfg)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Login Succeeded (%s)\n", e.authFile())
			return nil
		},
	}
	cmd.Flags().StringVarP(&user, "username", "u", "", "user name")
	cmd.Flags().StringVarP(&pass, "password", "p", "", "password (prefer --password-stdin)")
	cmd.Flags().BoolVar(&passStdin, "password-stdin", false, "read the password from stdin")
	return cmd
}

func newLogoutCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "logout REGISTRY",
		Short: "Remove stored credentials for a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := image.Logout(args[0], e.authFile()); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Removed login credentials for %s\n", args[0])
			return nil
		},
	}
}
