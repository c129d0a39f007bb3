package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// protocolVersion is what the client negotiates.
const protocolVersion = "2025-06-18"

// mcpClient is a raw-HTTP MCP client: one session, one request at a time,
// the same bytes for Hush and for the floor.
type mcpClient struct {
	url, token string
	stateless  bool
	hc         *http.Client
	session    string
	body       bytes.Buffer
}

func newClient(url, token string, stateless bool) *mcpClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	return &mcpClient{url: url, token: token, stateless: stateless, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *mcpClient) close() { c.hc.CloseIdleConnections() }

// initialize opens the session: initialize, then the initialized
// notification.
func (c *mcpClient) initialize(ctx context.Context) error {
	init := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + protocolVersion +
		`","capabilities":{},"clientInfo":{"name":"hush-bench","version":"1"}}}`
	resp, err := c.post(ctx, init)
	if err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	if !c.stateless {
		c.session = resp.Header.Get("Mcp-Session-Id")
	}
	if _, err := readResult(resp); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	resp, err = c.post(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		return fmt.Errorf("initialized: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("initialized: HTTP %d", resp.StatusCode)
	}
	return nil
}

// call runs find_customer once and checks that the answer is a result
// naming the customer.
func (c *mcpClient) call(ctx context.Context, id int, email string) error {
	req := `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"find_customer","arguments":{"email":"` + email + `"}}}`
	resp, err := c.post(ctx, req)
	if err != nil {
		return err
	}
	res, err := readResult(resp)
	if err != nil {
		return err
	}
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(res, &r); err != nil || r.IsError || len(r.Content) == 0 || !strings.Contains(r.Content[0].Text, email) {
		return fmt.Errorf("unexpected result: %.200s", res)
	}
	return nil
}

func (c *mcpClient) post(ctx context.Context, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("MCP-Protocol-Version", protocolVersion)
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	return c.hc.Do(req)
}

// readResult returns the result of a JSON-RPC answer sent as JSON or as an
// SSE stream, and closes the body.
func readResult(resp *http.Response) (json.RawMessage, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	msg, err := message(resp)
	if err != nil {
		return nil, err
	}
	var m struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("answer is not JSON-RPC: %w", err)
	}
	if m.Error != nil {
		return nil, fmt.Errorf("JSON-RPC error: %s", m.Error.Message)
	}
	return m.Result, nil
}

// message reads the one JSON-RPC message of an answer.
func message(resp *http.Response) ([]byte, error) {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return io.ReadAll(resp.Body)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			_, _ = io.Copy(io.Discard, resp.Body)
			return []byte(data), nil
		}
	}
	return nil, errors.New("event stream ended without a message")
}
