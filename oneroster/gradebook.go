package oneroster

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// PutOutcome tells what a PUT did on the provider.
type PutOutcome int

const (
	// Updated: the record existed and was replaced (200, 204 or another
	// 2xx that is not 201).
	Updated PutOutcome = iota + 1
	// Created: the provider created the record (201).
	Created
)

func (o PutOutcome) String() string {
	switch o {
	case Created:
		return "created"
	case Updated:
		return "updated"
	}
	return "unknown"
}

// Gradebook endpoints. Writes are PUT under a sourcedId the caller chooses
// (OneRoster 1.1 has no POST), so a retry after a lost answer is safe: it
// replaces the same record.

// ListCategories reads /categories.
func (c *Client) ListCategories(ctx context.Context, opts *ListOptions) iter.Seq2[Category, error] {
	return list[Category](ctx, c, "/categories", "categories", opts)
}

// GetCategory reads /categories/{id}.
func (c *Client) GetCategory(ctx context.Context, id string, fields ...string) (Category, error) {
	return getOne[Category](ctx, c, "/categories/"+esc(id), "category", fields)
}

// PutCategory creates or replaces the category cat.SourcedID.
func (c *Client) PutCategory(ctx context.Context, cat Category) (PutOutcome, error) {
	return c.put(ctx, "/categories/", "category", cat.SourcedID, cat)
}

// DeleteCategory deletes a category. A missing one gives an error matching
// ErrNotFound.
func (c *Client) DeleteCategory(ctx context.Context, id string) error {
	return c.delete(ctx, "/categories/", id)
}

// ListLineItems reads /lineItems.
func (c *Client) ListLineItems(ctx context.Context, opts *ListOptions) iter.Seq2[LineItem, error] {
	return list[LineItem](ctx, c, "/lineItems", "lineItems", opts)
}

// ListClassLineItems reads /classes/{classID}/lineItems.
func (c *Client) ListClassLineItems(ctx context.Context, classID string, opts *ListOptions) iter.Seq2[LineItem, error] {
	return list[LineItem](ctx, c, "/classes/"+esc(classID)+"/lineItems", "lineItems", opts)
}

// GetLineItem reads /lineItems/{id}.
func (c *Client) GetLineItem(ctx context.Context, id string, fields ...string) (LineItem, error) {
	return getOne[LineItem](ctx, c, "/lineItems/"+esc(id), "lineItem", fields)
}

// PutLineItem creates or replaces the line item li.SourcedID.
func (c *Client) PutLineItem(ctx context.Context, li LineItem) (PutOutcome, error) {
	return c.put(ctx, "/lineItems/", "lineItem", li.SourcedID, li)
}

// DeleteLineItem deletes a line item. A missing one gives an error matching
// ErrNotFound.
func (c *Client) DeleteLineItem(ctx context.Context, id string) error {
	return c.delete(ctx, "/lineItems/", id)
}

// ListResults reads /results.
func (c *Client) ListResults(ctx context.Context, opts *ListOptions) iter.Seq2[Result, error] {
	return list[Result](ctx, c, "/results", "results", opts)
}

// ListClassResults reads /classes/{classID}/results.
func (c *Client) ListClassResults(ctx context.Context, classID string, opts *ListOptions) iter.Seq2[Result, error] {
	return list[Result](ctx, c, "/classes/"+esc(classID)+"/results", "results", opts)
}

// ListLineItemResults reads /classes/{classID}/lineItems/{lineItemID}/results.
func (c *Client) ListLineItemResults(ctx context.Context, classID, lineItemID string, opts *ListOptions) iter.Seq2[Result, error] {
	return list[Result](ctx, c, "/classes/"+esc(classID)+"/lineItems/"+esc(lineItemID)+"/results", "results", opts)
}

// ListStudentResults reads /classes/{classID}/students/{studentID}/results.
func (c *Client) ListStudentResults(ctx context.Context, classID, studentID string, opts *ListOptions) iter.Seq2[Result, error] {
	return list[Result](ctx, c, "/classes/"+esc(classID)+"/students/"+esc(studentID)+"/results", "results", opts)
}

// GetResult reads /results/{id}.
func (c *Client) GetResult(ctx context.Context, id string, fields ...string) (Result, error) {
	return getOne[Result](ctx, c, "/results/"+esc(id), "result", fields)
}

// PutResult creates or replaces the result r.SourcedID. ScoreStatus must be
// one of the five 1.1 values (ScoreFullyGraded...).
func (c *Client) PutResult(ctx context.Context, r Result) (PutOutcome, error) {
	if err := checkScoreStatus(r.ScoreStatus); err != nil {
		return 0, err
	}
	return c.put(ctx, "/results/", "result", r.SourcedID, r)
}

// DeleteResult deletes a result. A missing one gives an error matching
// ErrNotFound.
func (c *Client) DeleteResult(ctx context.Context, id string) error {
	return c.delete(ctx, "/results/", id)
}

func (c *Client) put(ctx context.Context, prefix, key, id string, record any) (PutOutcome, error) {
	if err := checkID(key, id); err != nil {
		return 0, err
	}
	status, _, err := c.do(ctx, http.MethodPut, prefix+esc(id), nil, map[string]any{key: record}, nil)
	if err != nil {
		return 0, err
	}
	if status == http.StatusCreated {
		return Created, nil
	}
	return Updated, nil
}

func (c *Client) delete(ctx context.Context, prefix, id string) error {
	if err := checkID(strings.Trim(prefix, "/"), id); err != nil {
		return err
	}
	_, _, err := c.do(ctx, http.MethodDelete, prefix+esc(id), nil, nil, nil)
	return err
}

func checkID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("oneroster: %s needs a sourcedId: choose one (a UUID is usual) and set SourcedID", what)
	}
	if id == "." || id == ".." {
		return errors.New("oneroster: sourcedId \".\" or \"..\" cannot be used in a URL path")
	}
	return nil
}
