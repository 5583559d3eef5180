package benchkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// receiverEnv, when set in a process's environment, makes
// ServeReceiversIfChild turn the process into the storm's receivers:
// "PORTS LATENCY", e.g. "2 5ms".
const receiverEnv = "ESIMHOOKS_BENCHKIT_RECEIVERS"

// ServeReceiversIfChild makes this process the storm receivers that
// RunStormBench started, if it is one (its environment says so), and then
// exits; otherwise it returns at once. A program that runs RunStormBench
// must call it first thing (cmd/esimhooks does in an init function, the
// package's benchmarks in TestMain): the receivers are the running
// program itself, started again.
func ServeReceiversIfChild() {
	spec, ok := os.LookupEnv(receiverEnv)
	if !ok {
		return
	}
	if err := serveReceiverChild(spec, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchkit receivers:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveReceiverChild serves the receivers spec describes, writes their
// base URLs on one line to out, and returns when in ends (the parent
// closed it, or died).
func serveReceiverChild(spec string, in io.Reader, out io.Writer) error {
	var ports int
	var lat string
	if _, err := fmt.Sscan(spec, &ports, &lat); err != nil {
		return fmt.Errorf("%s=%q: %w", receiverEnv, spec, err)
	}
	latency, err := time.ParseDuration(lat)
	if err != nil || ports < 1 {
		return fmt.Errorf("%s=%q: want a port count and a latency", receiverEnv, spec)
	}
	r, err := startStormReceiver(latency, ports)
	if err != nil {
		return err
	}
	defer r.close()
	if _, err := fmt.Fprintln(out, strings.Join(r.bases, " ")); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, in)
	return nil
}

// receivers are the storm's receivers wherever they run: their base URLs
// (one port per endpoint), release (held /hang requests end) and close.
type receivers interface {
	urls() []string
	release()
	close()
}

func (r *stormReceiver) urls() []string { return r.bases }

// childReceivers are storm receivers in a process of their own.
type childReceivers struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	bases []string
	done  chan error
}

// startChildReceivers starts this program again as the storm's receivers
// (see ServeReceiversIfChild): like the receivers of real endpoints, they
// then do not share the engine's heap, garbage collector and goroutine
// scheduler, only the machine's CPUs.
func startChildReceivers(latency time.Duration, ports int) (*childReceivers, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting the receivers' process: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), receiverEnv+"="+strconv.Itoa(ports)+" "+latency.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the receivers' process: %w", err)
	}
	// The child writes its line, or exits (the pipe then ends), before
	// Wait may close the pipe.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	bases := strings.Fields(line)
	if err != nil || len(bases) != ports {
		_ = stdin.Close()
		return nil, fmt.Errorf("the receivers' process (%s) did not report %d receivers (is ServeReceiversIfChild called first thing?): %q, %w",
			exe, ports, line, errors.Join(err, cmd.Wait()))
	}
	c := &childReceivers{cmd: cmd, stdin: stdin, bases: bases, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}

func (c *childReceivers) urls() []string { return c.bases }

// release ends the process, and with it every held /hang request.
func (c *childReceivers) release() { _ = c.stdin.Close() }

func (c *childReceivers) close() {
	c.release()
	<-c.done
}
